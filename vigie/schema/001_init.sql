-- Vigie schema, version 1. Reports and incidents are written once; every later change to an
-- incident is a row of the append-only status_events table (see the spec: DuckLake-ready).

create sequence if not exists report_seq start 1;
create sequence if not exists event_seq start 1;
create sequence if not exists ingest_seq start 1;

create table if not exists ingest_log (
    seq           bigint not null,        -- ingest sequence number: the cache key of every query
    file_name     varchar not null,       -- name as dropped into the inbox
    original_name varchar,
    file_sha256   varchar not null,
    format        varchar,
    source        varchar,
    started_at    timestamp not null,
    finished_at   timestamp,
    n_received    bigint not null default 0,
    n_accepted    bigint not null default 0,
    n_duplicate   bigint not null default 0,
    n_quarantined bigint not null default 0,
    status        varchar not null,       -- done | error
    error         varchar
);

create table if not exists quarantine (
    ingest_seq bigint not null,
    file_name  varchar not null,
    line_no    bigint,                    -- line in the file (1 = header for CSV)
    field      varchar,
    reason     varchar not null,
    record     varchar                    -- the original record, as text
);

create table if not exists reports (
    report_id        bigint not null,
    ingest_seq       bigint not null,
    source           varchar not null,    -- channel: sms, observateurs, reseaux_sociaux, police, ...
    source_ref       varchar,             -- id in the source system
    received_at      timestamp not null,  -- UTC
    reported_at      timestamp,           -- UTC
    occurred_at      timestamp not null,  -- UTC
    occurred_local   timestamp not null,  -- local wall time of the country pack
    lat              double,
    lon              double,
    place_text       varchar,
    commune_code     varchar,
    departement_code varchar,
    geo_precision    varchar not null,    -- point | locality | arrondissement | commune | departement | none
    category         varchar,             -- taxonomy code; null = uncategorised
    severity         tinyint,             -- 1..4
    description      varchar,
    language         varchar,
    reporter_name    varchar,             -- PII
    reporter_phone   varchar,             -- PII
    reporter_contact varchar,             -- PII
    flags            varchar[],           -- data-quality flags (swapped coordinates, unknown category, ...)
    raw              json,                -- the original record
    ref_key          varchar,             -- source + source_ref, when the source gives an id
    content_hash     varchar not null,
    incident_id      bigint not null
);

create table if not exists incidents (
    incident_id      bigint not null,
    created_at       timestamp not null,  -- UTC
    occurred_at      timestamp not null,
    occurred_local   timestamp not null,
    commune_code     varchar,
    departement_code varchar,
    lat              double,
    lon              double,
    geo_precision    varchar not null,
    category         varchar,
    severity         tinyint,
    title            varchar,             -- description of the founding report
    place_text       varchar,
    source           varchar not null     -- channel of the founding report
);

create table if not exists status_events (
    event_id    bigint not null,
    incident_id bigint not null,
    at_time     timestamp not null,       -- UTC
    actor       varchar not null,
    field       varchar not null,         -- status | held | assigned_unit | category | severity | note
    from_value  varchar,
    to_value    varchar,
    reason      varchar
);

create table if not exists communes (
    commune_code     varchar primary key,
    commune          varchar not null,
    departement_code varchar not null,
    departement      varchar not null,
    population       double,
    area_km2         double,
    lat              double,              -- a point inside the commune (journalists see this, not the report's)
    lon              double,
    geom             geometry
);

create table if not exists departements (
    departement_code varchar primary key,
    departement      varchar not null
);

create table if not exists meta (
    key   varchar primary key,
    value varchar
);
