-- Incidents near one rally: in its commune, from $before_hours before its start to $after_hours after
-- (found false or merged as duplicates aside), as the role may see them; newest first.
-- roles: admin, operator, observer, journalist
with rally as (
    select rally_id, commune_code, starts_at from rallies where rally_id = $rally_id
),
final as (
    select i.incident_id, i.occurred_local, i.category, i.severity, i.status, i.title,
           round(date_diff('minute', r.starts_at, i.occurred_at) / 60.0, 1) as hours_from_start
    from rally r
    join incidents i
      on i.commune_code = r.commune_code
     and within_window(i.occurred_at, r.starts_at, $before_hours, $after_hours)
    where i.status not in ('faux', 'doublon')
)
select * from final order by occurred_local desc, incident_id desc
