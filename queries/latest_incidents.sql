-- The latest incidents under the current filters, with their corroboration (reports, sources).
-- roles: admin, operator, observer, journalist
with filtered as (
    select *
    from filtered($date_from, $date_to, $departements::varchar[], $communes::varchar[], $categories::varchar[],
                  $severities::integer[], $statuses::varchar[], $sources::varchar[])
),
latest as (
    select * from filtered order by occurred_local desc, incident_id desc limit $limit
),
corroboration as (
    select incident_id, count(*) as n_reports, count(distinct source) as n_sources
    from reports
    where incident_id in (select incident_id from latest)
    group by incident_id
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
        coalesce(k.n_reports, 0)  as n_reports,
        coalesce(k.n_sources, 0)  as n_sources
    from latest l
    left join communes c using (commune_code)
    left join corroboration k using (incident_id)
)
select * from final order by occurred_local desc, incident_id desc
