-- Feeds 6 and 7, version 2: rally itineraries and social-media claims, in their own tables (they are not
-- incident reports: no locating by coordinates, no grouping). Written once, like reports: a later change
-- (protection granted, verdict given) is to be appended, never updated in place.
-- The role views of these two tables live here rather than in views.sql: they belong to this feature.

create table if not exists rallies (
    rally_id            bigint not null,
    ingest_seq          bigint not null,
    source              varchar not null,    -- who sent the itinerary: a party, the police, ...
    source_ref          varchar,             -- id in the sender's list
    party               varchar not null,
    starts_at           timestamp not null,  -- UTC
    starts_local        timestamp not null,  -- local wall time of the country pack
    commune_code        varchar not null,    -- a rally that cannot be put in a commune is quarantined
    place               varchar,
    expected_attendance integer,
    protection_status   varchar,             -- accordee | demandee | refusee | aucune; null = not said
    unit                varchar,             -- security unit in charge (operators and observers only)
    raw                 json,                -- the original record
    ref_key             varchar,             -- source + source_ref, when the sender gives an id
    content_hash        varchar not null     -- source, party, time, commune and place
);

create table if not exists claims (
    claim_id    bigint not null,
    ingest_seq  bigint not null,
    platform    varchar not null,            -- facebook, whatsapp, x, tiktok, ... (lower case)
    url         varchar not null,            -- http(s) only: pages render it as a link; one row per url
    text        varchar,
    first_seen  timestamp,                   -- UTC
    reach       bigint,
    verdict     varchar,                     -- vrai | faux | trompeur | invérifiable; null = not checked yet
    debunk_url  varchar,                     -- http(s) only
    raw         json
);

-- Operators and admins: everything.
create schema if not exists scope_operator;
create or replace view scope_operator.rallies as select * from main.rallies;
create or replace view scope_operator.claims as select * from main.claims;

-- Observers: everything but the original records (a party's file may name its contacts).
create schema if not exists scope_observer;
create or replace view scope_observer.rallies as select * exclude (raw) from main.rallies;
create or replace view scope_observer.claims as select * exclude (raw) from main.claims;

-- Journalists: parties announce their rallies in public, so the press sees what, where and when; how
-- the police protect them (status, unit) and who sent the list do not leave the situation room. The
-- columns stay, empty, so that one query serves every role.
create schema if not exists scope_journalist;
create or replace view scope_journalist.rallies as
    select rally_id, ingest_seq, cast(null as varchar) as source, cast(null as varchar) as source_ref, party,
           starts_at, starts_local, commune_code, place, expected_attendance,
           cast(null as varchar) as protection_status, cast(null as varchar) as unit
    from main.rallies;
-- Claims reach the press once they have a verdict: an unchecked rumour is not repeated by Vigie.
create or replace view scope_journalist.claims as
    select * exclude (raw) from main.claims where verdict is not null;
