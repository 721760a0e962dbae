-- The alerts of one notification ($ids), for the message sent out by vigie/notify.py.
-- roles: admin, operator
select a.alert_id, a.raised_at, a.situation_at, a.rule, a.title, a.title_en, a.commune_code, c.commune,
       a.subject_id, a.detail
from alerts a
left join communes c using (commune_code)
where list_contains($ids::bigint[], a.alert_id)
order by a.alert_id
