-- The inbox's recent activity: the latest files with their counts.
-- roles: admin, operator, observer
with recent as (
    select seq, source, format, finished_at, n_received, n_accepted, n_duplicate, n_quarantined, status
    from ingest_log
    order by seq desc
    limit $limit
)
select * from recent
