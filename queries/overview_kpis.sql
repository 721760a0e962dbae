-- Headline figures of the overview, under the current filters; $now is the situation room's clock.
-- roles: admin, operator, observer, journalist
with filtered as (
    select *
    from filtered($date_from, $date_to, $departements::varchar[], $communes::varchar[], $categories::varchar[],
                  $severities::integer[], $statuses::varchar[], $sources::varchar[])
),
final as (
    select
        count(*)                                                                   as n_incidents,
        count(*) filter (where occurred_local >= $now - interval 24 hour
                           and occurred_local <= $now)                            as n_last_24h,
        count(*) filter (where severity = 4
                           and status in ('nouveau', 'en_verification', 'verifie', 'transmis')) as n_critical_open,
        count(distinct commune_code)                                               as n_communes,
        count(*) filter (where status in ('nouveau', 'en_verification'))           as n_to_verify,
        -- The delays are kept per incident (null unless verified after it occurred, resolved after it
        -- was escalated): computing them here would read two timestamps of every incident.
        median(verify_minutes)                                                     as median_verify_minutes,
        median(resolve_minutes)                                                    as median_resolve_minutes
    from filtered
)
select * from final
