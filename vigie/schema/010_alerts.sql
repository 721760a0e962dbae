-- Alerts, version 10: early warning (vigie/alerts.py). Insert-only, like reports and incidents.
-- An alert is raised once per cause (`cause_key`, e.g. `commune_surge:BJ-ATL-03`); what happens to it
-- afterwards (acknowledged by an operator, or cleared because its condition no longer holds) is a row
-- of the append-only alert_events. A cause is raised again only after its last alert was cleared: the
-- situation changed, then turned bad again. Each attempt to send a notification is a row of
-- alert_deliveries: the latest row of a (notification, channel) is its state.
-- The role views of these tables live here rather than in views.sql: they belong to this feature.
-- Journalists get empty views: alerts are the situation room's, and a name missing from a scope would
-- resolve to the main table instead (DuckDB falls back to main after the search path).

create sequence if not exists alert_seq start 1;
create sequence if not exists alert_event_seq start 1;
create sequence if not exists alert_delivery_seq start 1;

create table if not exists alerts (
    alert_id     bigint not null,
    raised_at    timestamp not null,      -- UTC
    situation_at timestamp,               -- the situation room's clock (local time) when raised
    rule         varchar not null,        -- commune_surge | unassigned_critical | rally_unprotected | claim_spreading
    cause_key    varchar not null,        -- stable: the same cause is not raised twice while it holds
    commune_code varchar,
    subject_id   bigint,                  -- the incident, rally or claim the alert is about
    title        varchar not null,        -- French
    title_en     varchar,
    detail       json                     -- the rule's figures (counts, expected, p-value, ...)
);

create table if not exists alert_events (
    event_id  bigint not null,
    alert_id  bigint not null,
    at_time   timestamp not null,         -- UTC
    actor     varchar not null,           -- a username, or `vigie` for a clear
    kind      varchar not null,           -- ack | clear
    note      varchar
);

create table if not exists alert_deliveries (
    delivery_id     bigint not null,
    notification_id bigint not null,      -- one grouped message per evaluation pass
    channel         varchar not null,     -- email | webhook
    target          varchar,              -- recipients, or the webhook's address without its query
    alert_ids       bigint[] not null,
    attempt         integer not null,     -- 0: queued; 1, 2, ...: tries
    at_time         timestamp not null,   -- UTC
    status          varchar not null,     -- pending | sent | failed | abandoned
    next_try_at     timestamp,            -- UTC; null once sent or abandoned
    error           varchar
);

-- Each alert with its acknowledgement and clearing, and its state: acquittee (an operator took it),
-- levee (its condition ended before anyone took it), ouverte.
create or replace view main.alert_state as
with acks as (
    select alert_id, min(at_time) as acked_at, arg_min(actor, event_id) as acked_by,
           arg_min(note, event_id) as ack_note
    from main.alert_events where kind = 'ack' group by alert_id
),
clears as (
    select alert_id, min(at_time) as cleared_at from main.alert_events where kind = 'clear' group by alert_id
)
select a.*, k.acked_at, k.acked_by, k.ack_note, c.cleared_at,
       case when k.acked_at is not null then 'acquittee'
            when c.cleared_at is not null then 'levee'
            else 'ouverte' end as state
from main.alerts a
left join acks k using (alert_id)
left join clears c using (alert_id);

create schema if not exists scope_operator;
create or replace view scope_operator.alerts as select * from main.alert_state;
create or replace view scope_operator.alert_deliveries as select * from main.alert_deliveries;

-- Observers read alerts and whether notifications went out; not the operators' notes, recipients or
-- the servers' error messages (they may name addresses). The columns stay, empty, so that one query
-- serves both roles.
create schema if not exists scope_observer;
create or replace view scope_observer.alerts as
    select * replace (cast(null as varchar) as ack_note) from main.alert_state;
create or replace view scope_observer.alert_deliveries as
    select * replace (cast(null as varchar) as target, cast(null as varchar) as error)
    from main.alert_deliveries;

-- Journalists: none, whatever the page or a query asks (the queries' headers refuse them as well).
create schema if not exists scope_journalist;
create or replace view scope_journalist.alerts as select * from main.alert_state where false;
create or replace view scope_journalist.alert_deliveries as select * from main.alert_deliveries where false;
