-- One rally as the role may see it (a party liaison: only one of its own party's; nothing otherwise).
-- roles: admin, operator, observer, journalist, party
with final as (
    select r.rally_id, r.starts_at, r.starts_local, r.party, r.commune_code, c.commune, c.departement,
           r.place, r.expected_attendance, r.protection_status, r.unit, r.decided_at, r.version, r.source,
           r.source_ref, c.lat, c.lon
    from rallies r
    left join communes c using (commune_code)
    where r.rally_id = $rally_id
)
select * from final
