-- The operators' queue: incidents still new or under verification, critical first, then oldest.
-- roles: admin, operator
with filtered as (
    select *
    from filtered($date_from, $date_to, $departements::varchar[], $communes::varchar[], $categories::varchar[],
                  $severities::integer[], ['nouveau', 'en_verification']::varchar[], $sources::varchar[])
),
queue as (
    select * from filtered order by coalesce(severity, 0) desc, occurred_local asc, incident_id limit $limit
),
corroboration as (
    select incident_id, count(*) as n_reports, count(distinct source) as n_sources
    from reports where incident_id in (select incident_id from queue) group by incident_id
),
final as (
    select q.incident_id, q.occurred_local, q.commune_code, c.commune, q.category, q.severity, q.status,
           q.geo_precision, q.title, q.source, q.version,
           coalesce(k.n_reports, 0) as n_reports, coalesce(k.n_sources, 0) as n_sources
    from queue q
    left join communes c using (commune_code)
    left join corroboration k using (incident_id)
)
select * from final order by coalesce(severity, 0) desc, occurred_local asc, incident_id
