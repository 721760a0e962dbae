-- Rallies from $date_from until $date_to (local wall time: today and the coming days on the Meetings
-- page), in the chosen départements and communes, with the commune for the map and the number of incidents
-- near each (in its commune, from $before_hours before its start to $after_hours after; found false or
-- merged as duplicates aside). Each role reads its own rallies view: journalists without protection status
-- and unit, party liaisons their own party's only and no incident (their incidents view is empty).
-- roles: admin, operator, observer, journalist, party
with chosen as (
    select r.*, c.commune, c.departement_code, c.departement, c.lat, c.lon
    from rallies r
    join communes c using (commune_code)
    where r.starts_local >= $date_from
      and r.starts_local < $date_to
      and (len($departements::varchar[]) = 0 or list_contains($departements::varchar[], c.departement_code))
      and (len($communes::varchar[]) = 0 or list_contains($communes::varchar[], r.commune_code))
),
near as (
    -- Only the chosen rallies' communes and the hours of their windows reach the join with incidents
    -- (one row per rally and hour, so each incident is counted once); the window itself is checked after.
    select r.rally_id, count(i.incident_id) as n_incidents_near
    from (
        select rally_id, commune_code, starts_at,
               unnest(window_hours(starts_at, $before_hours, $after_hours)) as hour
        from chosen
    ) r
    join incidents i
      on i.commune_code = r.commune_code
     and date_trunc('hour', i.occurred_at) = r.hour
     and within_window(i.occurred_at, r.starts_at, $before_hours, $after_hours)
    where i.status not in ('faux', 'doublon')
    group by r.rally_id
),
final as (
    select
        r.rally_id,
        r.starts_at,
        r.starts_local,
        r.party,
        r.commune_code,
        r.commune,
        r.departement_code,
        r.departement,
        r.place,
        r.expected_attendance,
        r.protection_status,
        r.unit,
        r.decided_at,
        r.version,
        r.source,
        coalesce(n.n_incidents_near, 0) as n_incidents_near,
        r.lat,
        r.lon
    from chosen r
    left join near n using (rally_id)
)
select * from final order by starts_local, rally_id
