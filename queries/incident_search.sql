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
    -- Only the keys, computed once for the page and the count. The texts were folded once when
    -- stored (incidents: search_title, search_place; reports: search_text), so a search folds its
    -- word, not a million texts. The word is folded inline (a one-row CTE joined in would force a
    -- nested loop over every report), and reports are only read when there is a word. A report's
    -- search_text is null while the incident's title holds its whole description (a report that
    -- founded its incident and is still in it, see vigie/schema/006_search_text.sql), so most texts
    -- are read once. Journalists see neither place_text nor report texts: theirs are null.
    select f.incident_id, f.occurred_local
    from filtered f
    where strip_accents(lower(trim($q))) = ''
       or contains(f.search_title, strip_accents(lower(trim($q))))
       or contains(f.search_place, strip_accents(lower(trim($q))))
       or f.incident_id in (
            select r.incident_id from reports r
            where strip_accents(lower(trim($q))) <> ''
              and contains(r.search_text, strip_accents(lower(trim($q)))))
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
