-- Connectors, version 4: the state of each pull connector (Ushahidi v5 posts API, KoBo API v2),
-- one row per connector, written by vigie.connectors. This is bookkeeping, not incident data, so
-- the row is upserted: the cursor says where the next pull starts, so it survives a restart.

create table if not exists connector_state (
    name                 varchar primary key,   -- [[connector]] name in config/connectors.toml
    kind                 varchar not null,      -- ushahidi | kobo
    url                  varchar not null,      -- base URL, never with credentials
    form                 varchar,               -- KoBo asset uid / Ushahidi survey id
    active               boolean not null,      -- false when the connector left the configuration
    cursor_time          timestamp,             -- UTC: latest update / submission time pulled
    cursor               varchar,               -- JSON {"time", "seen": {id: time}}: ids at the boundary
    last_run_at          timestamp,             -- UTC
    last_success_at      timestamp,
    last_error           varchar,               -- kept after a success; compare with last_error_at
    last_error_at        timestamp,
    consecutive_failures integer not null default 0,
    next_run_at          timestamp,
    n_pulled             bigint not null default 0,  -- records dropped into the inbox, all runs
    n_last_run           bigint not null default 0,  -- records dropped by the latest run
    updated_at           timestamp not null
);

-- Role views (views.sql does not know this table): operators and admins see the state; observers
-- and journalists get the same columns and no rows. The query file's roles header refuses them too.
create schema if not exists scope_operator;
create schema if not exists scope_observer;
create schema if not exists scope_journalist;

create or replace view scope_operator.connector_state as
    select name, kind, url, form, active, cursor_time, last_run_at, last_success_at, last_error,
           last_error_at, consecutive_failures, next_run_at, n_pulled, n_last_run
    from main.connector_state;
create or replace view scope_observer.connector_state as
    select name, kind, url, form, active, cursor_time, last_run_at, last_success_at, last_error,
           last_error_at, consecutive_failures, next_run_at, n_pulled, n_last_run
    from main.connector_state where false;
create or replace view scope_journalist.connector_state as
    select name, kind, url, form, active, cursor_time, last_run_at, last_success_at, last_error,
           last_error_at, consecutive_failures, next_run_at, n_pulled, n_last_run
    from main.connector_state where false;
