-- Alerts for the Alertes page, newest first: open ones ($state = 'ouverte') or the whole history
-- ($state = '').
-- roles: admin, operator, observer
with chosen as (
    select *
    from alerts
    where $state = '' or state = $state
),
final as (
    select a.alert_id, a.raised_at, a.situation_at, a.rule, a.state, a.title, a.title_en, a.commune_code,
           c.commune, a.subject_id, a.acked_at, a.acked_by, a.ack_note, a.cleared_at, a.detail
    from chosen a
    left join communes c using (commune_code)
)
select * from final order by alert_id desc limit $limit
