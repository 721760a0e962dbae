-- A claim's audit trail (verdicts, links), newest first. Journalists' view of it is empty.
-- roles: admin, operator, observer, factchecker
select event_id, at_time, actor, kind, verdict, justification, debunk_url, report_id, incident_id
from claim_events where claim_id = $claim_id order by event_id desc
