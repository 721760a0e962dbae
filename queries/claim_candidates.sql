-- Disinformation reports of a period (UTC, $date_from to $date_to) not yet linked to claim $claim_id, the
-- newest first: what vigie.claims scores against the claim's text to suggest links.
-- roles: admin, operator, factchecker
with candidates as (
    select report_id, incident_id, occurred_at, occurred_local, commune_code, description
    from reports
    where category = 'desinformation' and description is not null
      and occurred_at >= $date_from and occurred_at < $date_to
      and report_id not in (select report_id from claim_links where claim_id = $claim_id and report_id is not null)
),
final as (
    select * from candidates order by occurred_at desc, report_id desc limit $limit
)
select * from final
