-- Incidents per time bucket ($bucket = 'day' or 'hour') and category, for the stacked timeline.
-- roles: admin, operator, observer, journalist
with filtered as (
    select occurred_local, category
    from filtered($date_from, $date_to, $departements::varchar[], $communes::varchar[], $categories::varchar[],
                  $severities::integer[], $statuses::varchar[], $sources::varchar[])
),
final as (
    select
        date_trunc($bucket, occurred_local)          as bucket,
        coalesce(category, 'non_categorise')         as category,
        count(*)                                     as n_incidents
    from filtered
    group by all
)
select * from final order by bucket, category
