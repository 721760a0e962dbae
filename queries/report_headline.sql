-- Headline figures of the daily report for $day and the day before (local dates), one row per day:
-- incidents that occurred, critical and serious ones, communes affected, the reports they hold, how
-- many are verified and how many still wait. False and duplicate incidents are left out, as on every
-- page by default; statuses are the current ones.
-- roles: admin, operator, observer, journalist
with chosen as (
    select cast(occurred_local as date) as day, severity, commune_code, status, n_reports
    from filtered(cast($day as date) - interval 1 day, cast($day as date) + interval 1 day, []::varchar[],
                  []::varchar[], []::varchar[], []::integer[], []::varchar[], []::varchar[])
),
per_day as (
    select
        day,
        count(*)                                                                as n_incidents,
        count(*) filter (where severity = 4)                                    as n_critical,
        count(*) filter (where severity >= 3)                                   as n_serious,
        count(distinct commune_code)                                            as n_communes,
        coalesce(sum(n_reports), 0)                                             as n_reports,
        count(*) filter (where status in ('verifie', 'transmis', 'clos'))       as n_verified,
        count(*) filter (where status in ('nouveau', 'en_verification'))        as n_to_verify
    from chosen
    group by day
),
days as (
    select unnest([cast($day as date) - 1, cast($day as date)]) as day
),
final as (
    select
        d.day,
        coalesce(p.n_incidents, 0) as n_incidents,
        coalesce(p.n_critical, 0)  as n_critical,
        coalesce(p.n_serious, 0)   as n_serious,
        coalesce(p.n_communes, 0)  as n_communes,
        coalesce(p.n_reports, 0)   as n_reports,
        coalesce(p.n_verified, 0)  as n_verified,
        coalesce(p.n_to_verify, 0) as n_to_verify
    from days d
    left join per_day p using (day)
)
select * from final order by day
