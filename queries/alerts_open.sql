-- The open alerts (neither acknowledged nor cleared), newest first: the daily report's "open alerts"
-- section (vigie/report/sections.py reads raised_at, rule, commune and title).
-- roles: admin, operator, observer
with open_alerts as (
    select alert_id, raised_at, situation_at, rule, commune_code, title, title_en
    from alerts
    where state = 'ouverte'
),
final as (
    select o.raised_at, o.rule, c.commune, o.title, o.title_en, o.alert_id, o.situation_at
    from open_alerts o
    left join communes c using (commune_code)
)
select * from final order by alert_id desc limit $limit
