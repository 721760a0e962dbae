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

-- == Claims (Désinformation, migration 011) ==================================================================
-- These replace the claims views of 002_feeds.sql at every start. The current verdict of a claim is its
-- latest verdict event, else the verdict its feed gave; its reach is the widest of its sightings.
create or replace view main.claim_verdicts as
    select claim_id, event_id, at_time, actor, verdict, justification, debunk_url
    from main.claim_events
    where kind = 'verdict'
    qualify row_number() over (partition by claim_id order by event_id desc) = 1;
-- The links that hold now (a link is undone by a later unlink of the same report or incident), each with
-- the incident it reaches today (a linked report follows its incident through merges and splits).
create or replace view main.claim_links as
    with latest as (
        select *
        from main.claim_events
        where kind in ('link', 'unlink')
        qualify row_number() over (partition by claim_id, report_id, incident_id order by event_id desc) = 1
    )
    select l.claim_id, l.report_id, coalesce(r.incident_id, l.incident_id) as incident_id, l.actor as linked_by,
           l.at_time as linked_at
    from latest l
    left join main.report_state r on r.report_id = l.report_id
    where l.kind = 'link';
create or replace view main.claim_state as
    with sightings as (
        select claim_id, max(reach) as reach, count(*) as n_sightings, max(seen_at) as last_seen
        from main.claim_sightings group by claim_id
    ),
    versions as (
        select claim_id, max(event_id) as version from main.claim_events group by claim_id
    ),
    places as (
        select l.claim_id, mode(i.commune_code) as commune_code, count(*) as n_linked
        from main.claim_links l left join main.incident_state i on i.incident_id = l.incident_id
        group by l.claim_id
    )
    select c.claim_id, c.ingest_seq, c.platform, c.url, c.text, c.first_seen,
           greatest(c.reach, s.reach) as reach, coalesce(s.n_sightings, 0) as n_sightings,
           coalesce(s.last_seen, c.first_seen) as last_seen,
           case when v.claim_id is null then c.verdict else v.verdict end as verdict,
           v.justification,
           case when v.claim_id is null then c.debunk_url else v.debunk_url end as debunk_url,
           case when v.claim_id is null and c.verdict is not null then c.first_seen else v.at_time end as verdict_at,
           case when v.claim_id is null and c.verdict is not null then 'flux' else v.actor end as verdict_by,
           coalesce(e.version, 0) as version, p.commune_code, coalesce(p.n_linked, 0) as n_linked, c.raw
    from main.claims c
    left join sightings s using (claim_id)
    left join main.claim_verdicts v using (claim_id)
    left join versions e using (claim_id)
    left join places p using (claim_id);

-- Operators and admins: everything, the original record too.
create or replace view scope_operator.claims as select * from main.claim_state;
create or replace view scope_operator.claim_sightings as select * from main.claim_sightings;
create or replace view scope_operator.claim_events as select * from main.claim_events;
create or replace view scope_operator.claim_links as select * from main.claim_links;
-- Observers: everything but the original record (it may name who sent the claim in).
create or replace view scope_observer.claims as select * exclude (raw) from main.claim_state;
create or replace view scope_observer.claim_sightings as select * from main.claim_sightings;
create or replace view scope_observer.claim_events as select * from main.claim_events;
create or replace view scope_observer.claim_links as select * from main.claim_links;
-- Journalists: a claim reaches the press once it has a verdict, with its justification and debunk link;
-- never unchecked claims, who checked or linked them, or links to incidents they may not see. The columns
-- stay, empty, so that one query serves every role.
create or replace view scope_journalist.claims as
    select claim_id, cast(null as bigint) as ingest_seq, platform, url, text, first_seen, reach, n_sightings,
           last_seen, verdict, justification, debunk_url, verdict_at, cast(null as varchar) as verdict_by,
           cast(0 as bigint) as version, commune_code, cast(null as bigint) as n_linked
    from main.claim_state
    where verdict is not null;
create or replace view scope_journalist.claim_sightings as
    select s.* from main.claim_sightings s semi join scope_journalist.claims c using (claim_id);
create or replace view scope_journalist.claim_events as
    select cast(null as bigint) as event_id, cast(null as bigint) as claim_id, cast(null as timestamp) as at_time,
           cast(null as varchar) as actor, cast(null as varchar) as kind, cast(null as varchar) as verdict,
           cast(null as varchar) as justification, cast(null as varchar) as debunk_url,
           cast(null as bigint) as report_id, cast(null as bigint) as incident_id
    where false;
create or replace view scope_journalist.claim_links as
    select l.claim_id, cast(null as bigint) as report_id, l.incident_id, cast(null as varchar) as linked_by,
           cast(null as timestamp) as linked_at
    from main.claim_links l
    semi join scope_journalist.claims c using (claim_id)
    semi join main.incident_state s on s.incident_id = l.incident_id and s.published;

-- Fact-checkers give verdicts and link reports, nothing else: claims as observers see them, and the
-- reports they may link (disinformation reports, and those already linked) without the reporter's fields.
-- No incident, audit trail or feed log: those views are empty, so the shared filters still bind.
create schema if not exists scope_factchecker;
create or replace view scope_factchecker.claims as select * exclude (raw) from main.claim_state;
create or replace view scope_factchecker.claim_sightings as select * from main.claim_sightings;
create or replace view scope_factchecker.claim_events as select * from main.claim_events;
create or replace view scope_factchecker.claim_links as select * from main.claim_links;
create or replace view scope_factchecker.reports as
    select r.report_id, r.incident_id, r.source, r.received_at, r.occurred_at, r.occurred_local, r.commune_code,
           r.category, main.mask_contacts(r.description) as description
    from main.report_state r
    where r.category = 'desinformation'
       or r.report_id in (select report_id from main.claim_links where report_id is not null);
create or replace view scope_factchecker.incidents as select * from scope_journalist.incidents where false;
create or replace view scope_factchecker.status_events as select * from scope_journalist.status_events;
create or replace view scope_factchecker.ingest_log as select * from scope_journalist.ingest_log;
create or replace view scope_factchecker.quarantine as select * from scope_journalist.quarantine;
create or replace view scope_factchecker.communes as select * exclude (geom) from main.communes;
create or replace view scope_factchecker.departements as select * from main.departements;
-- == end of Claims ==========================================================================================

-- == Rallies (Meetings, migration 009) ======================================================================
-- These replace the rallies views of 002_feeds.sql at every start. A rally's protection status and unit are
-- their latest event (an operator's decision), else what the itinerary file said; `version` is the id of its
-- latest event (0 for none), what an operator's action says it was looking at.
create or replace view main.rally_state as
    with latest as (
        select rally_id,
               arg_max(to_value, event_id) filter (where field = 'protection_status') as status_now,
               arg_max_null(to_value, event_id) filter (where field = 'unit')        as unit_now,
               count(*) filter (where field = 'unit')                                as unit_events,
               max(at_time) filter (where field = 'protection_status')               as decided_at,
               max(event_id)                                                         as version
        from main.rally_events
        group by rally_id
    )
    select r.rally_id, r.ingest_seq, r.source, r.source_ref, r.party, r.starts_at, r.starts_local,
           r.commune_code, r.place, r.expected_attendance,
           coalesce(l.status_now, r.protection_status) as protection_status,
           case when coalesce(l.unit_events, 0) > 0 then l.unit_now else r.unit end as unit,
           l.decided_at, coalesce(l.version, 0) as version, r.raw
    from main.rallies r
    left join latest l using (rally_id);
-- How a party is compared with the party an account is tied to: case, accents and spacing aside.
create or replace macro main.party_key(p) as lower(strip_accents(regexp_replace(trim(p), '\s+', ' ', 'g')));

create or replace view scope_operator.rallies as select * from main.rally_state;
create or replace view scope_operator.rally_events as select * from main.rally_events;
-- Observers: everything but the original record (a party's file may name its contacts) and the operators'
-- reasons (they may say what the police know).
create or replace view scope_observer.rallies as select * exclude (raw) from main.rally_state;
create or replace view scope_observer.rally_events as select * exclude (reason) from main.rally_events;
-- Journalists: parties announce their rallies in public, so the press sees what, where and when; how the
-- police protect them (status, unit) and who sent the list do not leave the situation room. The columns
-- stay, empty, so that one query serves every role.
create or replace view scope_journalist.rallies as
    select rally_id, cast(null as bigint) as ingest_seq, cast(null as varchar) as source,
           cast(null as varchar) as source_ref, party, starts_at, starts_local, commune_code, place,
           expected_attendance, cast(null as varchar) as protection_status, cast(null as varchar) as unit,
           cast(null as timestamp) as decided_at, cast(0 as bigint) as version
    from main.rally_state;
create or replace view scope_journalist.rally_events as
    select cast(null as bigint) as event_id, cast(null as bigint) as rally_id, cast(null as timestamp) as at_time,
           cast(null as varchar) as actor, cast(null as varchar) as field, cast(null as varchar) as from_value,
           cast(null as varchar) as to_value
    where false;

-- Party liaisons (the "coproduction"): an account tied to one party gives its itineraries and sees the
-- answer: its own party's rallies with their protection status and unit, and when each was decided. Never
-- another party's plans, who decided or why (no actor, no reason), the original file, incidents or reports: those views are empty,
-- so that the shared filters still bind. The party is bound on the cursor by vigie.store (the DuckDB variable
-- vigie_party, from the account, never from the page); a cursor without it sees no rally at all.
create schema if not exists scope_party;
create or replace view scope_party.rallies as
    select rally_id, cast(null as bigint) as ingest_seq, cast(null as varchar) as source, source_ref, party,
           starts_at, starts_local, commune_code, place, expected_attendance, protection_status, unit,
           decided_at, cast(0 as bigint) as version
    from main.rally_state
    where main.party_key(party) = main.party_key(getvariable('vigie_party'));
create or replace view scope_party.rally_events as
    select e.event_id, e.rally_id, e.at_time, e.field, e.from_value, e.to_value
    from main.rally_events e
    semi join scope_party.rallies r using (rally_id);
create or replace view scope_party.incidents as select * from scope_journalist.incidents where false;
create or replace view scope_party.reports as select * from scope_journalist.reports where false;
create or replace view scope_party.status_events as select * from scope_journalist.status_events;
create or replace view scope_party.ingest_log as select * from scope_journalist.ingest_log;
create or replace view scope_party.quarantine as select * from scope_journalist.quarantine;
create or replace view scope_party.communes as select * exclude (geom) from main.communes;
create or replace view scope_party.departements as select * from main.departements;
-- == end of Rallies =========================================================================================
