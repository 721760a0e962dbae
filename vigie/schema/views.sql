-- Role-scoped views, recreated at every start (they are code, not data).
-- Each role reads through its own schema; a cursor for that role has its search_path set to it,
-- so `from incidents` in a query file means "the incidents this role may see".
-- Query files may not name the `main` schema (vigie.sql refuses them).

-- The current state of every incident (see state.sql and Store.refresh_current).
create or replace view main.incident_state as select * from main.incident_current;

-- Each report with the incident it belongs to now (after merges and splits): the reports never
-- moved keep their own incident_id, the others take their latest move. Two branches rather than
-- coalesce(move, own), so that `where incident_id = …` reaches the scan of reports (zone maps)
-- instead of resolving every report first.
create or replace view main.report_state as
select r.* exclude (incident_id, search_text), r.incident_id, r.search_text
from main.reports r
anti join main.report_moves m using (report_id)
union all
select r.* exclude (incident_id, search_text), m.to_incident as incident_id,
       -- Moved out of the incident whose title held its text: searched by its own text from now on.
       -- The expression names the move (always there) so that a search's filter on it stays above
       -- the join: pushed down to the scan of reports, it would fold every report's description.
       case when m.to_incident is not null then coalesce(r.search_text, strip_accents(lower(r.description))) end
           as search_text
from main.reports r
join (
    -- The latest move of each report. A window rather than group by: merge and split insert into
    -- report_moves while reading this view, and DuckDB's perfect-hash grouping trusts statistics
    -- that the insert changes ("aggregate group exceeded total groups").
    select report_id, to_incident
    from main.report_moves
    qualify row_number() over (partition by report_id order by move_id desc) = 1
) m using (report_id);

-- Operators and admins: everything.
create schema if not exists scope_operator;
create or replace view scope_operator.incidents as
    select * exclude (commune_lat, commune_lon, public_title) from main.incident_state;
create or replace view scope_operator.reports as select * from main.report_state;
create or replace view scope_operator.status_events as select * from main.status_events;
create or replace view scope_operator.ingest_log as select * from main.ingest_log;
create or replace view scope_operator.quarantine as select * from main.quarantine;
create or replace view scope_operator.communes as select * exclude (geom) from main.communes;
create or replace view scope_operator.departements as select * from main.departements;

-- Observers (electoral authority): every incident with its status, never the reporter's identity.
create schema if not exists scope_observer;
-- Phone numbers and e-mail addresses in the texts are masked (main.mask_contacts, in state.sql): they are
-- often the reporter's own. The search keys stay whole: a search finds what it names, and shows it masked.
create or replace view scope_observer.incidents as
    select * exclude (commune_lat, commune_lon, public_title) replace (public_title as title)
    from main.incident_state;
create or replace view scope_observer.reports as
    select * exclude (reporter_name, reporter_phone, reporter_contact, raw)
             replace (main.mask_contacts(description) as description)
    from main.report_state;
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
-- The commune's centre is kept in incident_current (no join here, so that a query's top-N reaches
-- the scan); the place text is neither shown nor searched, and report texts are not searched.
create schema if not exists scope_journalist;
create or replace view scope_journalist.incidents as
    select
        s.incident_id,
        s.occurred_at,
        s.occurred_local,
        s.commune_code,
        s.departement_code,
        s.commune_lat as lat,
        s.commune_lon as lon,
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
        s.public_title as title,
        cast(null as varchar) as place_text,
        s.source,
        s.n_reports,
        s.n_sources,
        s.search_title,
        cast(null as varchar) as search_place,
        s.verify_minutes,
        cast(null as double) as resolve_minutes
    from main.incident_state s
    where s.published;
-- Journalists may count corroboration (reports and distinct sources), nothing more about a report.
create or replace view scope_journalist.reports as
    select r.report_id, r.incident_id, r.source, r.received_at, cast(null as varchar) as description,
           cast(null as varchar) as search_text
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
