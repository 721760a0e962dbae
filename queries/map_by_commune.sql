-- Incidents per commune under the current filters: count, severity-weighted count, rate per
-- 100,000 inhabitants, highest severity and the latest incident's title (for the tooltip).
-- One row per commune of the pack, so the map payload does not grow with the number of incidents.
-- roles: admin, operator, observer, journalist
with filtered as (
    select commune_code, severity, occurred_local, title
    from filtered($date_from, $date_to, $departements::varchar[], $communes::varchar[], $categories::varchar[],
                  $severities::integer[], $statuses::varchar[], $sources::varchar[])
),
per_commune as (
    select
        commune_code,
        count(*)                                                   as n_incidents,
        sum(case severity when 1 then 1 when 2 then 2 when 3 then 4 when 4 then 8 else 1 end)::bigint
                                                                   as weighted,
        max(severity)                                              as max_severity,
        count(*) filter (where severity = 4)                       as n_critical,
        arg_max(title, occurred_local)                             as latest_title,
        max(occurred_local)                                        as latest_at
    from filtered
    where commune_code is not null
    group by commune_code
),
final as (
    select
        c.commune_code,
        c.commune,
        c.departement_code,
        c.departement,
        c.population,
        coalesce(p.n_incidents, 0)                                 as n_incidents,
        coalesce(p.weighted, 0)                                    as weighted,
        case when c.population > 0
             then coalesce(p.n_incidents, 0) * 100000.0 / c.population end as rate_100k,
        p.max_severity,
        coalesce(p.n_critical, 0)                                  as n_critical,
        p.latest_title,
        p.latest_at
    from communes c
    left join per_commune p using (commune_code)
)
select * from final order by commune_code
