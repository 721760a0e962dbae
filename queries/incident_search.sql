-- Incidents under the current filters whose text contains $q (accents and case ignored; empty $q:
-- all), newest first, one page at a time. Descriptions of every linked report are searched where
-- the role may read them.
-- roles: admin, operator, observer, journalist
with filtered as (
    select *
    from filtered($date_from, $date_to, $departements::varchar[], $communes::varchar[], $categories::varchar[],
                  $severities::integer[], $statuses::varchar[], $sources::varchar[])
),
needle as (
    select strip_accents(lower(trim($q))) as q
),
matched as (
    select f.*
    from filtered f, needle
    where needle.q = ''
       or contains(strip_accents(lower(coalesce(f.title, '') || ' ' || coalesce(f.place_text, ''))), needle.q)
       or f.incident_id in (
            select r.incident_id from reports r, needle n
            where contains(strip_accents(lower(coalesce(r.description, ''))), n.q))
),
page as (
    select * from matched order by occurred_local desc, incident_id desc limit $limit offset $offset
),
corroboration as (
    select incident_id, count(*) as n_reports, count(distinct source) as n_sources
    from reports where incident_id in (select incident_id from page) group by incident_id
),
final as (
    select p.incident_id, p.occurred_local, p.commune_code, c.commune, c.departement, p.category, p.severity,
           p.status, p.published, p.geo_precision, p.lat, p.lon, p.title, p.source, p.assigned_unit,
           coalesce(k.n_reports, 0) as n_reports, coalesce(k.n_sources, 0) as n_sources,
           (select count(*) from matched) as n_total
    from page p
    left join communes c using (commune_code)
    left join corroboration k using (incident_id)
)
select * from final order by occurred_local desc, incident_id desc
