-- Claims given a verdict during the day ($utc_from to $utc_to: the report's local day in UTC), widest
-- reach first, $limit rows with how many in all (n_total). The time of a verdict is its latest verdict
-- event (claim_events); a verdict that came with the feed counts on the day the claim was first seen.
-- roles: admin, operator, observer, journalist
with chosen as (
    select claim_id, first_seen, platform, url, text, reach, verdict, justification, debunk_url, verdict_at
    from claims
    where verdict is not null and verdict_at >= $utc_from and verdict_at < $utc_to
),
final as (
    select *, count(*) over () as n_total
    from chosen
    order by reach desc nulls last, first_seen, claim_id
    limit $limit
)
select * from final order by reach desc nulls last, first_seen, claim_id
