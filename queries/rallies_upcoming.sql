-- Rallies from $date_from until $date_to (local wall time: today and the coming days on the Meetings
-- page), in the chosen départements and communes, with the commune for the map. Journalists read
-- rallies without their protection status and unit (see vigie/schema/002_feeds.sql).
-- roles: admin, operator, observer, journalist
with chosen as (
    select r.*, c.commune, c.departement_code, c.departement, c.lat, c.lon
    from rallies r
    join communes c using (commune_code)
    where r.starts_local >= $date_from
      and r.starts_local < $date_to
      and (len($departements::varchar[]) = 0 or list_contains($departements::varchar[], c.departement_code))
      and (len($communes::varchar[]) = 0 or list_contains($communes::varchar[], r.commune_code))
),
final as (
    select
        rally_id,
        starts_local,
        party,
        commune_code,
        commune,
        departement_code,
        departement,
        place,
        expected_attendance,
        protection_status,
        unit,
        lat,
        lon
    from chosen
)
select * from final order by starts_local, rally_id
