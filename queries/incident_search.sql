-- Incidents under the current filters whose text contains $q (accents and case ignored; empty $q:
-- all), newest first, one page at a time. Descriptions of every linked report are searched where
-- the role may read them.
-- roles: admin, operator, observer, journalist
with filtered as (
    select *
    from filtered($date_from, $date_to, $departements::varchar[], $communes::varchar[], $categories::varchar[],
                  $severities::integer[], $statuses::varchar[], $sources::varchar[])
),
matched as (
    -- The search text is folded inline (a one-row CTE joined in would force a nested loop over every
    -- report), and the reports are only searched when there is something to search for.
    select f.*
    from filtered f
    where strip_accents(lower(trim($q))) = ''
       or contains(strip_accents(lower(coalesce(f.title, '') || ' ' || coalesce(f.place_text, ''))),
                   strip_accents(lower(trim($q))))
       or f.incident_id in (
            select r.incident_id from reports r
            where strip_accents(lower(trim($q))) <> ''
              and contains(strip_accents(lower(coalesce(r.description, ''))), strip_accents(lower(trim($q)))))
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
