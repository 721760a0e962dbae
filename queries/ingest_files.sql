-- The latest inbox files with their counts and errors.
-- roles: admin, operator
select seq, original_name, source, format, started_at, finished_at, n_received, n_accepted, n_duplicate,
       n_quarantined, status, error
from ingest_log
order by seq desc
limit $limit
