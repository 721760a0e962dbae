-- The causes that hold an alert now (raised and not cleared, acknowledged or not): vigie/alerts.py
-- raises a cause again only once its last alert was cleared.
-- roles: admin, operator
select alert_id, rule, cause_key from alerts where cleared_at is null order by alert_id
