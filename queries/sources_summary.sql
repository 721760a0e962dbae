-- Per source: files and records received, accepted, duplicate and quarantined, last file and last
-- report seen, reports today ($today is the situation room's local date).
-- roles: admin, operator
with files as (
    select
        coalesce(source, '?')                              as source,
        count(*)                                           as n_files,
        sum(n_received)                                    as n_received,
        sum(n_accepted)                                    as n_accepted,
        sum(n_duplicate)                                   as n_duplicate,
        sum(n_quarantined)                                 as n_quarantined,
        count(*) filter (where status = 'error')           as n_failed_files,
        max(finished_at)                                   as last_file_at
    from ingest_log
    group by all
),
seen as (
    select source, max(received_at) as last_report_at,
           count(*) filter (where cast(occurred_local as date) = $today) as n_today
    from reports
    group by source
),
final as (
    select f.*, s.last_report_at, coalesce(s.n_today, 0) as n_today
    from files f
    left join seen s using (source)
)
select * from final order by last_file_at desc nulls last
