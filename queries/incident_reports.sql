-- The reports linked to an incident, with the columns the role may see (its view decides).
-- roles: admin, operator, observer, journalist
select * from reports where incident_id = $incident_id order by received_at, report_id
