-- One incident as the role may see it (a journalist gets nothing for an unpublished incident).
-- roles: admin, operator, observer, journalist
with final as (
    -- Everything shown about the incident; the columns kept for the search and the overview's
    -- medians are not.
    select i.* exclude (search_title, search_place, verify_minutes, resolve_minutes), c.commune, c.departement
    from incidents i
    left join communes c using (commune_code)
    where i.incident_id = $incident_id
)
select * from final
