-- Rallies near one incident: in its commune, the incident from $before_hours before their start to
-- $after_hours after (the incident detail flags them), as the role may see them.
-- roles: admin, operator, observer, journalist
with incident as (
    select incident_id, commune_code, occurred_at from incidents where incident_id = $incident_id
),
final as (
    select r.rally_id, r.starts_local, r.party, r.place, r.protection_status, r.unit,
           round(date_diff('minute', r.starts_at, i.occurred_at) / 60.0, 1) as hours_from_start
    from incident i
    join rallies r
      on r.commune_code = i.commune_code
     and within_window(i.occurred_at, r.starts_at, $before_hours, $after_hours)
)
select * from final order by starts_local, rally_id
