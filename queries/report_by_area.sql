-- Incidents of $day (local date) per département and category, with the critical ones: the daily
-- report's table. False and duplicate incidents are left out; incidents not placed in a commune have
-- no département (null).
-- roles: admin, operator, observer, journalist
with chosen as (
    select departement_code, coalesce(category, 'non_categorise') as category, severity
    from filtered(cast($day as date), cast($day as date) + interval 1 day, []::varchar[], []::varchar[],
                  []::varchar[], []::integer[], []::varchar[], []::varchar[])
),
per_cell as (
    select departement_code, category, count(*) as n_incidents, count(*) filter (where severity = 4) as n_critical
    from chosen
    group by all
),
final as (
    select p.departement_code, d.departement, p.category, p.n_incidents, p.n_critical
    from per_cell p
    left join departements d using (departement_code)
)
select * from final order by departement nulls last, category
