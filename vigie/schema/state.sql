-- Current state of each incident: the latest value of each field in status_events, how many
-- reports and distinct channels corroborate it, and what queries derive from these. This is the
-- definition; main.incident_current holds its result, refreshed by vigie.store after every write, so
-- that dashboard queries scan one table instead of aggregating the audit trail and the reports each
-- time. A new pack of communes rebuilds it (communes' départements and centres are kept here).
--
-- A template, created twice by vigie.store: `{name}` = incident_state_live, every incident
-- (`{only}` = true); and `{name}` = incident_state_touched, only the incidents listed in
-- main.refresh_ids. The filter sits inside each aggregate's scan, so that refreshing a few incidents
-- reads a few incidents' events instead of grouping the whole audit trail.
-- Phone numbers and e-mail addresses written in a report's text, masked for the roles that must not
-- see a reporter's identity (observers, journalists: vigie/schema/views.sql). Phone numbers as they
-- are written in the region: 8 to 10 digits together, or pairs of digits separated by one kind of
-- space, dot or hyphen, with an optional +229 / 00229. Dates (28/12/2022, 28.12.2022) and amounts
-- (10 000 000 FCFA) are not pairs, and stay.
-- The first test (eight digits, an @) is a necessary condition, cheaper than the replacements: most
-- texts have neither (100,000 titles: ~50 ms instead of ~100).
create or replace macro main.mask_contacts(t) as
    case when regexp_matches(t, '\d\d[ .-]?\d\d[ .-]?\d\d[ .-]?\d\d|@') then
        regexp_replace(
            regexp_replace(t, '(?:\+|\b)(?:00)?(?:229[ .]?)?(?:\d{8,10}|\d{2}(?: \d{2}){3,4}|\d{2}(?:\.\d{2}){3,4}|\d{2}(?:-\d{2}){3,4})\b',
                           '[numéro masqué]', 'g'),
            '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '[adresse masquée]', 'g')
    else t end;

create or replace view main.{name} as
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
    where {only}
    group by incident_id
),
moved as (
    select report_id, arg_max(to_incident, move_id) as to_incident
    from main.report_moves
    group by report_id
),
members as (
    -- Each report counts in the incident it belongs to now (after merges and splits).
    select coalesce(m.to_incident, r.incident_id) as incident_id, r.source, r.severity
    from main.reports r
    left join moved m using (report_id)
    where {only_reports}
),
corroboration as (
    select incident_id, count(*) as n_reports, count(distinct source) as n_sources, max(severity) as max_severity
    from members
    where {only}
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
        -- An operator's severity wins; until then the gravest of the reports it holds now: a later,
        -- graver report raises the incident (and its place in the triage queue).
        coalesce(try_cast(l.severity as tinyint), k.max_severity, i.severity) as severity,
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
        coalesce(l.version, 0)                                 as version,
        coalesce(k.n_reports, 0)                               as n_reports,
        coalesce(k.n_sources, 0)                               as n_sources,
        -- Kept here so that no dashboard query computes them over every incident: the text the
        -- search compares (folded like reports.search_text), the delays whose medians the overview
        -- shows, and the commune's centre, the only position a journalist is given.
        coalesce(i.search_title, strip_accents(lower(i.title))) as search_title,
        coalesce(i.search_place, strip_accents(lower(i.place_text))) as search_place,
        main.mask_contacts(i.title)                            as public_title,
        case when l.verified_at >= i.occurred_at
             then epoch(l.verified_at - i.occurred_at) / 60.0 end   as verify_minutes,
        case when l.resolved_at >= l.escalated_at
             then epoch(l.resolved_at - l.escalated_at) / 60.0 end  as resolve_minutes,
        cc.lat                                                 as commune_lat,
        cc.lon                                                 as commune_lon
    from main.incidents i
    left join latest l using (incident_id)
    left join corroboration k using (incident_id)
    left join main.communes c on c.commune_code = l.commune_code
    left join main.communes cc on cc.commune_code = coalesce(l.commune_code, i.commune_code)
    where {only}
)
select * from final;
