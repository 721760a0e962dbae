-- The protection decisions on one rally, oldest first (observers without the reasons; a party liaison
-- without who decided or why, for its own party's rallies only; journalists see nothing).
-- roles: admin, operator, observer, party
select * from rally_events where rally_id = $rally_id order by at_time, event_id
