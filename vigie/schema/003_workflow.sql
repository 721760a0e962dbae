-- Workflow, version 3: reports can move between incidents (merge, split) without rewriting
-- them. The incident a report belongs to is its latest move, else the one it was ingested into.

create table if not exists report_moves (
    move_id      bigint not null,
    report_id    bigint not null,
    from_incident bigint,
    to_incident  bigint not null,
    at_time      timestamp not null,
    actor        varchar not null,
    reason       varchar
);
create sequence if not exists move_seq start 1;
