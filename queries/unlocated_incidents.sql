-- The "à localiser" queue: open incidents not placed in a commune, newest first, with their place text.
-- roles: admin, operator
with final as (
    select incident_id, occurred_local, category, severity, status, geo_precision, place_text, title, version
    from incidents
    where commune_code is null and status not in ('faux', 'doublon', 'clos')
    order by occurred_local desc
    limit $limit
)
select * from final
