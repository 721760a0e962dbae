-- Claims spreading fast at $now (UTC): their reach grew by at least 10,000 and at least doubled within the
-- last 6 hours (the latest sighting against the widest reach known 6 hours before it, or the first
-- sighting in the window). One row per claim; claims found true are left out. The alerts' rule runs this.
-- roles: admin, operator, observer, factchecker
with window_ as (
    select claim_id, seen_at, reach
    from claim_sightings
    where seen_at <= $now and seen_at > $now - interval 6 hour and reach is not null
),
before_ as (
    select claim_id, max(reach) as reach
    from claim_sightings
    where seen_at <= $now - interval 6 hour and reach is not null
    group by claim_id
),
grown as (
    select w.claim_id, coalesce(b.reach, min(w.reach)) as reach_before, max(w.reach) as reach_now,
           max(w.seen_at) as last_seen
    from window_ w left join before_ b using (claim_id)
    group by w.claim_id, b.reach
),
final as (
    select g.claim_id, c.platform, c.url, c.text, c.verdict, g.reach_before, g.reach_now,
           g.reach_now - g.reach_before as growth, g.last_seen
    from grown g join claims c using (claim_id)
    where g.reach_now - g.reach_before >= 10000 and g.reach_now >= 2 * g.reach_before
      and coalesce(c.verdict, '') <> 'vrai'
)
select * from final order by growth desc, claim_id
