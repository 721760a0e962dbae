-- Index keys of near-duplicate grouping, version 7 (see vigie/ingest/match.py and group.py). For each
-- report that can group (commune, category and text known): its key (kind 'k': its longest short or
-- numeric name) and its tokens (kind 't': its words of fewer than five letters or starting with a
-- digit), each hashed with the report's commune and category; or one row of kind 'u', the hash of its
-- commune and category alone, when it names nothing exact and must be compared with every candidate.
-- Written with the report at insert; grouping looks a new report's candidates up here instead of
-- comparing it with every report of its commune, category and window. Reports stored before version 7
-- are indexed at the next start (vigie.store).
create table if not exists report_keys (
    report_id   bigint not null,
    occurred_at timestamp not null,
    kind        varchar not null,    -- k | t | u
    key         ubigint not null
);
