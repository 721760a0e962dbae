-- The claims an incident repeats (linked to it or to one of its reports), with their verdict: the incident's
-- detail view. Journalists see only claims with a verdict, linked to a published incident.
-- roles: admin, operator, observer, journalist
with linked as (
    select distinct claim_id from claim_links where incident_id = $incident_id
),
final as (
    select c.claim_id, c.platform, c.url, c.text, c.first_seen, c.reach, c.verdict, c.justification, c.debunk_url
    from claims c semi join linked using (claim_id)
)
select * from final order by first_seen desc nulls last, claim_id
