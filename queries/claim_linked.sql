-- The reports and incidents linked to a claim (a linked report with the incident it belongs to now).
-- roles: admin, operator, observer, factchecker
with linked as (
    select l.claim_id, l.report_id, l.incident_id, l.linked_by, l.linked_at
    from claim_links l where l.claim_id = $claim_id
),
final as (
    select l.*, r.occurred_local, r.commune_code, r.description
    from linked l left join reports r on r.report_id = l.report_id
)
select * from final order by linked_at desc, report_id, incident_id
