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
        arg_max(to_value, event_id) filter (where field = 'commune_code')  as commune_code,
        arg_max(to_value, event_id) filter (where field = 'merged_into')   as merged_into,
        max(event_id)                                                      as version,
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
        coalesce(l.commune_code, i.commune_code)               as commune_code,
        coalesce(c.departement_code, i.departement_code)       as departement_code,
        case when l.commune_code is null then i.lat end        as lat,
        case when l.commune_code is null then i.lon end        as lon,
        case when l.commune_code is null then i.geo_precision else 'commune' end as geo_precision,
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
        i.source,
        try_cast(l.merged_into as bigint)                      as merged_into,
        coalesce(l.version, 0)                                 as version
    from main.incidents i
    left join latest l using (incident_id)
    left join main.communes c on c.commune_code = l.commune_code
)
select * from final;

-- Each report with the incident it belongs to now (after merges and splits).
create or replace view main.report_state as
with moved as (
    select report_id, arg_max(to_incident, move_id) as to_incident
    from main.report_moves
    group by report_id
)
select r.* exclude (incident_id), coalesce(m.to_incident, r.incident_id) as incident_id
from main.reports r
left join moved m using (report_id);

-- Operators and admins: everything.
create schema if not exists scope_operator;
create or replace view scope_operator.incidents as select * from main.incident_state;
create or replace view scope_operator.reports as select * from main.report_state;
create or replace view scope_operator.status_events as select * from main.status_events;
create or replace view scope_operator.ingest_log as select * from main.ingest_log;
create or replace view scope_operator.quarantine as select * from main.quarantine;
create or replace view scope_operator.communes as select * exclude (geom) from main.communes;
create or replace view scope_operator.departements as select * from main.departements;

-- Observers (electoral authority): every incident with its status, never the reporter's identity.
create schema if not exists scope_observer;
create or replace view scope_observer.incidents as select * from main.incident_state;
create or replace view scope_observer.reports as
    select * exclude (reporter_name, reporter_phone, reporter_contact, raw) from main.report_state;
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
    select r.report_id, r.incident_id, r.source, r.received_at, cast(null as varchar) as description
    from main.report_state r
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
