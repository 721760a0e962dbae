-- Incidents under the current filters whose text contains $q (accents and case ignored; empty $q:
-- all), newest first, one page at a time. Descriptions of every linked report are searched where
-- the role may read them. n_total counts the matches up to 10,001 only (the page says "more than
-- 10,000" beyond): an exact count of a million matches would cost more than the page itself.
-- roles: admin, operator, observer, journalist
with filtered as (
    select *
    from filtered($date_from, $date_to, $departements::varchar[], $communes::varchar[], $categories::varchar[],
                  $severities::integer[], $statuses::varchar[], $sources::varchar[])
),
matched as materialized (
    -- Only the keys, computed once for the page and the count. The search text is folded inline (a
    -- one-row CTE joined in would force a nested loop over every report), and the reports are only
    -- searched when there is something to search for. A report that founded its incident and is
    -- still in it has its description as the incident's title (its first 280 characters, see
    -- vigie/ingest/group.py), already searched above: the CASE skips folding it again, and reading
    -- the current incident_id keeps the test from being pushed below the merges and splits.
    select f.incident_id, f.occurred_local
    from filtered f
    where strip_accents(lower(trim($q))) = ''
       or contains(strip_accents(lower(coalesce(f.title, '') || ' ' || coalesce(f.place_text, ''))),
                   strip_accents(lower(trim($q))))
       or f.incident_id in (
            select r.incident_id from reports r
            where strip_accents(lower(trim($q))) <> ''
              and contains(strip_accents(lower(case when r.report_id <> r.incident_id or length(r.description) > 280
                                                    then coalesce(r.description, '') else '' end)),
                           strip_accents(lower(trim($q)))))
),
page as (
    select incident_id from matched order by occurred_local desc, incident_id desc limit $limit offset $offset
),
counted as (
    select count(*) as n_total from (select 1 from matched limit 10001)
),
final as (
    -- The page's rows are fetched by id: sorting narrow keys then reading 200 rows is cheaper than
    -- carrying every column of a million candidates through the sort.
    select i.incident_id, i.occurred_local, i.commune_code, c.commune, c.departement, i.category, i.severity,
           i.status, i.published, i.geo_precision, i.lat, i.lon, i.title, i.source, i.assigned_unit,
           i.n_reports, i.n_sources, k.n_total
    from incidents i
    semi join page p using (incident_id)
    cross join counted k
    left join communes c using (commune_code)
)
select * from final order by occurred_local desc, incident_id desc
