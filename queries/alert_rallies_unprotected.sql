-- Rule 3 of vigie/alerts.py: rallies starting between $now and $until (local time) whose protection
-- is not granted. `rallies` is the rally workflow's state (main.rally_state): an operator's decision wins
-- over what the itinerary file said.
-- roles: admin, operator
with upcoming as (
    select r.rally_id, r.party, r.starts_local, r.commune_code, r.place, r.expected_attendance,
           r.protection_status
    from rallies r
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
