-- Rule 3 of vigie/alerts.py: rallies starting between $now and $until (local time) whose protection
-- is not granted. The protection status is read in the `protection` step only: switch it there to
-- the rally workflow's latest status when that lands.
-- roles: admin, operator
with protection as (
    select rally_id, protection_status
    from rallies
),
upcoming as (
    select r.rally_id, r.party, r.starts_local, r.commune_code, r.place, r.expected_attendance,
           p.protection_status
    from rallies r
    join protection p using (rally_id)
    where r.starts_local >= $now
      and r.starts_local <= $until
),
final as (
    select u.*, c.commune
    from upcoming u
    left join communes c using (commune_code)
    where coalesce(u.protection_status, '') <> 'accordee'
)
select * from final order by starts_local, rally_id
