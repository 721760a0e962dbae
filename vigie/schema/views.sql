-- Role-scoped views, recreated at every start (they are code, not data).
-- Each role reads through its own schema; a cursor for that role has its search_path set to it,
-- so `from incidents` in a query file means "the incidents this role may see".
-- Query files may not name the `main` schema (vigie.sql refuses them).

-- Current state of each incident: the latest value of each field in status_events.
create or replace view main.incident_state as
with latest as (
    select
        incident_id,
        arg_max(to_value, event_id) filter (where field = 'status')        as status,
        arg_max(to_value, event_id) filter (where field = 'held')          as held,
        arg_max(to_value, event_id) filter (where field = 'assigned_unit') as assigned_unit,
        arg_max(to_value, event_id) filter (where field = 'category')      as category,
        arg_max(to_value, event_id) filter (where field = 'severity')      as severity,
        min(at_time) filter (where field = 'status' and to_value = 'verifie')   as verified_at,
        min(at_time) filter (where field = 'status' and to_value = 'transmis')  as escalated_at,
        min(at_time) filter (where field = 'status' and to_value = 'clos')      as resolved_at
    from main.status_events
    group by incident_id
),
final as (
    select
        i.incident_id,
        i.created_at,
        i.occurred_at,
        i.occurred_local,
        i.commune_code,
        i.departement_code,
        i.lat,
        i.lon,
        i.geo_precision,
        coalesce(l.category, i.category)                       as category,
        coalesce(try_cast(l.severity as tinyint), i.severity)  as severity,
        coalesce(l.status, 'nouveau')                          as status,
        coalesce(l.held = 'true', false)                       as held,
        coalesce(l.status, 'nouveau') in ('verifie', 'transmis', 'clos')
            and not coalesce(l.held = 'true', false)           as published,
        l.assigned_unit,
        l.verified_at,
        l.escalated_at,
        l.resolved_at,
        i.title,
        i.place_text,
        i.source
    from main.incidents i
    left join latest l using (incident_id)
)
select * from final;

-- Operators and admins: everything.
create schema if not exists scope_operator;
create or replace view scope_operator.incidents as select * from main.incident_state;
create or replace view scope_operator.reports as select * from main.reports;
create or replace view scope_operator.status_events as select * from main.status_events;
create or replace view scope_operator.ingest_log as select * from main.ingest_log;
create or replace view scope_operator.quarantine as select * from main.quarantine;
create or replace view scope_operator.communes as select * exclude (geom) from main.communes;
create or replace view scope_operator.departements as select * from main.departements;

-- Observers (electoral authority): every incident with its status, never the reporter's identity.
create schema if not exists scope_observer;
create or replace view scope_observer.incidents as select * from main.incident_state;
create or replace view scope_observer.reports as
    select * exclude (reporter_name, reporter_phone, reporter_contact, raw) from main.reports;
create or replace view scope_observer.status_events as
    select * exclude (reason) from main.status_events where field <> 'note';
create or replace view scope_observer.ingest_log as
    select seq, source, format, started_at, finished_at, n_received, n_accepted, n_duplicate, n_quarantined, status
    from main.ingest_log;
create or replace view scope_observer.quarantine as
    select * exclude (record) from main.quarantine where false;
create or replace view scope_observer.communes as select * exclude (geom) from main.communes;
create or replace view scope_observer.departements as select * from main.departements;

-- Journalists: published incidents only, located at commune level, no reports, notes or units.
create schema if not exists scope_journalist;
create or replace view scope_journalist.incidents as
    select
        s.incident_id,
        s.occurred_at,
        s.occurred_local,
        s.commune_code,
        s.departement_code,
        c.lat,
        c.lon,
        case when s.geo_precision in ('point', 'locality', 'arrondissement') then 'commune'
             else s.geo_precision end as geo_precision,
        s.category,
        s.severity,
        s.status,
        cast(false as boolean) as held,
        s.published,
        cast(null as varchar) as assigned_unit,
        s.verified_at,
        cast(null as timestamp) as escalated_at,
        cast(null as timestamp) as resolved_at,
        s.title,
        cast(null as varchar) as place_text,
        s.source
    from main.incident_state s
    left join main.communes c using (commune_code)
    where s.published;
-- Journalists may count corroboration (reports and distinct sources), nothing more about a report.
create or replace view scope_journalist.reports as
    select r.report_id, r.incident_id, r.source, r.received_at
    from main.reports r
    semi join main.incident_state s on s.incident_id = r.incident_id and s.published;
create or replace view scope_journalist.status_events as
    select cast(null as bigint) as incident_id, cast(null as timestamp) as at_time,
           cast(null as varchar) as field, cast(null as varchar) as to_value where false;
create or replace view scope_journalist.ingest_log as
    select cast(null as bigint) as seq where false;
create or replace view scope_journalist.quarantine as
    select cast(null as bigint) as ingest_seq where false;
create or replace view scope_journalist.communes as select * exclude (geom) from main.communes;
create or replace view scope_journalist.departements as select * from main.departements;

-- The shared filters of every page, one table macro per scope (created by vigie.store from the
-- template below, with {scope} replaced by a schema name from a fixed list).
