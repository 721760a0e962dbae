-- Rule 2 of vigie/alerts.py: critical incidents (severity 4) still open without a unit that occurred
-- before $older_than ($now minus the threshold, local time) and after $since (older ones are the
-- archive's, not the situation room's).
-- roles: admin, operator
with open_critical as (
    select i.incident_id, i.occurred_local, i.commune_code, i.category, i.status, i.title
    from incidents i
    where i.severity = 4
      and i.status in ('nouveau', 'en_verification', 'verifie')
      and i.assigned_unit is null
      and i.merged_into is null
      and i.occurred_local <= $older_than
      and i.occurred_local >= $since
),
final as (
    select o.*, c.commune
    from open_critical o
    left join communes c using (commune_code)
)
select * from final order by occurred_local, incident_id
