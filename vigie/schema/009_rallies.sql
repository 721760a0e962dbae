-- Rallies, version 9: the protection of rallies, append-only like status_events. Setting a rally's
-- protection status (demandee → accordee / refusee, or aucune) or the unit in charge is one row; the current
-- state of a rally is its latest event of each field, else what its itinerary file said (main.rally_state,
-- in views.sql). The rallies table itself is never updated.

create table if not exists rally_events (
    event_id    bigint not null,
    rally_id    bigint not null,
    at_time     timestamp not null,           -- UTC
    actor       varchar not null,             -- username
    field       varchar not null,             -- protection_status | unit
    from_value  varchar,
    to_value    varchar,                      -- null: the unit withdrawn
    reason      varchar                       -- why (a refusal always says why)
);
create sequence if not exists rally_event_seq start 1;
