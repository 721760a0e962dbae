-- The operators' queue: incidents still new or under verification, critical first, then oldest.
-- roles: admin, operator
with filtered as (
    select *
    from filtered($date_from, $date_to, $departements::varchar[], $communes::varchar[], $categories::varchar[],
                  $severities::integer[], ['nouveau', 'en_verification']::varchar[], $sources::varchar[])
),
queue as (
    -- Only the columns shown (the sort carries them), and corroboration as kept per incident.
    select incident_id, occurred_local, commune_code, category, severity, status, geo_precision, title, source,
           version, n_reports, n_sources
    from filtered
    order by coalesce(severity, 0) desc, occurred_local asc, incident_id
    limit $limit
),
final as (
    select q.incident_id, q.occurred_local, q.commune_code, c.commune, q.category, q.severity, q.status,
           q.geo_precision, q.title, q.source, q.version, q.n_reports, q.n_sources
    from queue q
    left join communes c using (commune_code)
)
select * from final order by coalesce(severity, 0) desc, occurred_local asc, incident_id
