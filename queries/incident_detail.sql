-- One incident as the role may see it (a journalist gets nothing for an unpublished incident).
-- roles: admin, operator, observer, journalist
with final as (
    select i.*, c.commune, c.departement
    from incidents i
    left join communes c using (commune_code)
    where i.incident_id = $incident_id
)
select * from final
