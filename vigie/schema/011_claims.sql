-- Claims, version 11: the fact-checkers' work on social-media claims, append-only like status_events.
-- A verdict, a link to a report or an incident, or its removal, is one row of claim_events; the current
-- verdict of a claim is its latest verdict event (else the verdict its feed gave). Each sighting of a
-- claim (its reach at a time) is one row of claim_sightings, so that spread can be followed.

create table if not exists claim_events (
    event_id      bigint not null,
    claim_id      bigint not null,
    at_time       timestamp not null,          -- UTC
    actor         varchar not null,            -- username
    kind          varchar not null,            -- verdict | link | unlink
    verdict       varchar,                     -- vrai | faux | trompeur | invérifiable (kind = verdict)
    justification varchar,                     -- why (kind = verdict), shown to the press with the verdict
    debunk_url    varchar,                     -- http(s) only (kind = verdict)
    report_id     bigint,                      -- kind = link | unlink: a report ...
    incident_id   bigint                       -- ... or an incident repeating the claim
);
create sequence if not exists claim_event_seq start 1;

create table if not exists claim_sightings (
    claim_id    bigint not null,
    ingest_seq  bigint not null,
    seen_at     timestamp not null,            -- UTC: the row's date, else the file's arrival
    reach       bigint
);

-- Claims ingested before this version: their first row is their first sighting.
insert into claim_sightings
select claim_id, ingest_seq, first_seen, reach from claims where first_seen is not null;
