-- The audit trail of an incident, oldest first (observers do not see notes; journalists see nothing).
-- roles: admin, operator, observer
select * from status_events where incident_id = $incident_id order by at_time, event_id
