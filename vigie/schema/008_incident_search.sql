-- Search keys of an incident, version 8: its title and place folded as the search compares them
-- (lower case, accents stripped), written once with the incident by the ingest, which folds them
-- before taking the write lock, so that refreshing incident_current does not fold every new title.
-- Null for incidents written before version 8 or by a split: state.sql folds those itself.
alter table incidents add column if not exists search_title varchar;
alter table incidents add column if not exists search_place varchar;
