-- Quarantined records, newest first: the file, the line, the field and the reason, with the record.
-- roles: admin, operator
with final as (
    select q.ingest_seq, l.finished_at, q.file_name, l.source, q.line_no, q.field, q.reason, left(q.record, 2000) as record
    from quarantine q
    left join ingest_log l on l.seq = q.ingest_seq
    where len($sources) = 0 or list_contains($sources::varchar[], l.source)
    order by q.ingest_seq desc, q.line_no
    limit $limit
)
select * from final
