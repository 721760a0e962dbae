-- Exact locations of the most recent located incidents (roles allowed to see them), capped so that
-- the map payload stays small whatever the number of incidents.
-- roles: admin, operator, observer
with filtered as (
    select incident_id, occurred_local, lat, lon, category, severity, status, title
    from filtered($date_from, $date_to, $departements::varchar[], $communes::varchar[], $categories::varchar[],
                  $severities::integer[], $statuses::varchar[], $sources::varchar[])
    where lat is not null and geo_precision = 'point'
),
final as (
    select * from filtered order by occurred_local desc limit $limit
)
select * from final
