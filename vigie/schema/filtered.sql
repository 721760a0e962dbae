create or replace macro {scope}.filtered(
    date_from, date_to, departements, communes, categories, severities, statuses, sources
) as table
    select *
    from {scope}.incidents
    where occurred_local >= date_from
      and occurred_local < date_to
      and (len(departements) = 0 or list_contains(departements, departement_code))
      and (len(communes) = 0 or list_contains(communes, commune_code))
      and (len(categories) = 0 or list_contains(categories, coalesce(category, 'non_categorise')))
      and (len(severities) = 0 or list_contains(severities, severity))
      -- No status chosen: every incident except those found false or merged as duplicates.
      and (case when len(statuses) = 0 then status not in ('faux', 'doublon') else list_contains(statuses, status) end)
      and (len(sources) = 0 or list_contains(sources, source));

-- "Near a rally": a time from `before_hours` before the rally's start to `after_hours` after it (the Meetings
-- page and the incident detail, vigie/rallies.py). Inlined where it is called, so a join keeps its plan.
create or replace macro {scope}.window_start(starts_at, before_hours) as
    starts_at - to_microseconds(cast(before_hours * 3600e6 as bigint));
create or replace macro {scope}.window_end(starts_at, after_hours) as
    starts_at + to_microseconds(cast(after_hours * 3600e6 as bigint));
create or replace macro {scope}.within_window(at_time, starts_at, before_hours, after_hours) as
    at_time >= {scope}.window_start(starts_at, before_hours)
    and at_time <= {scope}.window_end(starts_at, after_hours);

-- The hours a rally's window touches (each hour's start, as date_trunc('hour') gives it): joining incidents
-- on their commune and the hour they occurred in reaches only the incidents of those hours, where a join on
-- the commune alone pairs every rally with every incident of its commune before the window is checked.
create or replace macro {scope}.window_hours(starts_at, before_hours, after_hours) as
    range(date_trunc('hour', {scope}.window_start(starts_at, before_hours)),
          date_trunc('hour', {scope}.window_end(starts_at, after_hours)) + interval 1 hour,
          interval 1 hour);
