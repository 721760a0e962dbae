-- Each notification's latest state per channel (the latest attempt), newest first: failures are shown
-- on the Alertes page, and vigie/notify.py retries the due ones ($due_before: pending or failed with
-- a next try at or before it; a null $due_before lists every notification).
-- roles: admin, operator, observer
with latest as (
    select *
    from alert_deliveries
    qualify row_number() over (partition by notification_id, channel order by delivery_id desc) = 1
),
final as (
    select notification_id, channel, target, alert_ids, len(alert_ids) as n_alerts, attempt, at_time,
           status, next_try_at, error
    from latest
    where $due_before::timestamp is null
       or (status in ('pending', 'failed') and next_try_at <= $due_before::timestamp)
)
select * from final order by notification_id desc, channel limit $limit
