-- The notable incidents of the daily report: critical ones that occurred on $day (local date), and any
-- incident verified or escalated to a unit during that day ($utc_from to $utc_to: the same day in UTC,
-- the audit trail's time). Gravest first, then escalated, then the latest; $limit rows, with how many
-- there are in all (n_total). Journalists' views have no escalation and only published incidents.
-- roles: admin, operator, observer, journalist
-- `chosen` is inlined at both of its uses, not materialised: the count reads three narrow columns, and
-- the top-N reads the wide ones (title) of the rows it keeps; a window count over `chosen` would carry
-- every chosen row's title through it.
with chosen as not materialized (
    select
        incident_id, occurred_local, commune_code, category, severity, status, title, n_reports, n_sources,
        severity = 4 and occurred_local >= cast($day as date)
                     and occurred_local < cast($day as date) + interval 1 day      as is_critical,
        coalesce(verified_at >= $utc_from and verified_at < $utc_to, false)        as verified_today,
        coalesce(escalated_at >= $utc_from and escalated_at < $utc_to, false)      as escalated_today
    from incidents
    where status not in ('faux', 'doublon')
      and ((severity = 4 and occurred_local >= cast($day as date)
                         and occurred_local < cast($day as date) + interval 1 day)
           or (verified_at >= $utc_from and verified_at < $utc_to)
           or (escalated_at >= $utc_from and escalated_at < $utc_to))
),
ranked as (
    select *, (select count(*) from chosen) as n_total
    from chosen
    order by coalesce(severity, 0) desc, escalated_today desc, occurred_local desc, incident_id desc
    limit $limit
),
final as (
    select r.incident_id, r.occurred_local, r.commune_code, c.commune, c.departement, r.category, r.severity,
           r.status, r.title, r.n_reports, r.n_sources, r.is_critical, r.verified_today, r.escalated_today,
           r.n_total
    from ranked r
    left join communes c using (commune_code)
)
select * from final order by coalesce(severity, 0) desc, escalated_today desc, occurred_local desc, incident_id desc
