-- The latest incidents under the current filters, with their corroboration (reports, sources).
-- roles: admin, operator, observer, journalist
with filtered as (
    select *
    from filtered($date_from, $date_to, $departements::varchar[], $communes::varchar[], $categories::varchar[],
                  $severities::integer[], $statuses::varchar[], $sources::varchar[])
),
latest as (
    -- Only the columns shown (the sort carries them), and corroboration as kept per incident
    -- (n_reports, n_sources), so that the reports are not read.
    select incident_id, occurred_local, commune_code, category, severity, status, published, geo_precision,
           title, source, n_reports, n_sources
    from filtered
    order by occurred_local desc, incident_id desc
    limit $limit
),
final as (
    select
        l.incident_id,
        l.occurred_local,
        l.commune_code,
        c.commune,
        c.departement,
        l.category,
        l.severity,
        l.status,
        l.published,
        l.geo_precision,
        l.title,
        l.source,
        l.n_reports,
        l.n_sources
    from latest l
    left join communes c using (commune_code)
)
select * from final order by occurred_local desc, incident_id desc
