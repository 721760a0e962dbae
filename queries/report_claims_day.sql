-- Claims with a verdict that were first seen during the day ($utc_from to $utc_to: the report's local
-- day in UTC), widest reach first, $limit rows with how many in all (n_total). The claims table keeps
-- no date for the verdict itself: this is the daily report's stand-in until verdicts are events.
-- roles: admin, operator, observer, journalist
with chosen as (
    select claim_id, first_seen, platform, url, text, reach, verdict, debunk_url
    from claims
    where verdict is not null and first_seen >= $utc_from and first_seen < $utc_to
),
final as (
    select *, count(*) over () as n_total
    from chosen
    order by reach desc nulls last, first_seen, claim_id
    limit $limit
)
select * from final order by reach desc nulls last, first_seen, claim_id
