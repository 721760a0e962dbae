"""Grouping new reports into incidents: near-duplicate reports of one event join one incident.

Runs inside the ingest transaction on the temp table `fresh` (new, non-duplicate reports with their
report_id, words and names, see vigie.ingest.match) and `fresh_keys` (their index keys): gives each row
an `incident_id`, inserts the incidents it founds (an incident founded at ingest takes its first
report's id, time, place and text) and the reports' index keys. Reports and incidents are written
once; only the temp table `fresh` is updated.

The rule. Reports are taken in (occurred_at, report_id) order. A report joins an incident when
- the incident has the same commune and the same category (both known: a report without them never
  groups; a stored incident counts with its current commune and category, after operator corrections),
- the incident's occurred_at (its first report's) is within the window: |Δt| ≤ VIGIE_GROUP_WINDOW_HOURS,
- one of the incident's reports within the window of it says the same thing: `match.score_pairs` ≥
  VIGIE_GROUP_THRESHOLD.
When several incidents qualify, it joins the one holding the most similar report, then the closest in
time. An incident is skipped when one of its reports is vetoed against the new one (see
vigie.ingest.match), so that a vague message cannot chain two distinct events. Otherwise the report
founds a new incident. Incidents marked false (`faux`) or duplicate (`doublon`) attract nothing;
reports moved by a merge or split count in the incident they belong to now. Anchoring the window on the
incident's first report keeps an incident to one window of time: a day-long protest becomes several
incidents, for operators to merge. The default threshold was chosen on the labelled pairs in
tests/fixtures/grouping/ (see the README, "Grouping reports into incidents").

| variable                 | default | meaning                                                                 |
|--------------------------|---------|-------------------------------------------------------------------------|
| VIGIE_GROUP_WINDOW_HOURS | 6       | largest gap between a report and the first report of its incident; 0: off |
| VIGIE_GROUP_THRESHOLD    | 71      | smallest text similarity (1–100) for a report to join an incident       |

Speed, in two passes. The first finds which new reports could join anything at all: it compares a
report with the candidates (same commune and category, within the window) that the veto would not
refuse outright, found through the index keys (main.report_keys; see vigie.ingest.match) — reports
without a key are compared with every candidate. A report with no similar, unvetoed candidate founds
its incident; at national scale that is nearly every report, and the first pass costs a few joins.
The second pass applies the rule above, exactly, to the few reports left: every candidate of their
block within the batch, and every report of the stored incidents they were found similar to (an
incident is refused when *any* of its reports is vetoed). Both passes are DuckDB joins on equal keys;
only candidate pairs come to Python for scoring (rapidfuzz.process.cpdist), and the result goes back
with one UPDATE … FROM and one INSERT … SELECT. `PRUNE = False` skips the first pass (every report goes
through the second against every candidate): the tests compare the two.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vigie.ingest.match import TEXT_LIMIT, match_keys, similarity, vetoes

log = logging.getLogger(__name__)

DEFAULT_WINDOW_HOURS = 6.0
DEFAULT_THRESHOLD = 71.0
PRUNE = True  # the first pass; False compares every new report with every candidate (tests)


@dataclass(frozen=True)
class GroupSettings:
    window_hours: float = DEFAULT_WINDOW_HOURS
    threshold: float = DEFAULT_THRESHOLD

    @classmethod
    def from_env(cls) -> GroupSettings:
        return cls(
            window_hours=_env_number("VIGIE_GROUP_WINDOW_HOURS", DEFAULT_WINDOW_HOURS, 0, 24 * 30),
            threshold=_env_number("VIGIE_GROUP_THRESHOLD", DEFAULT_THRESHOLD, 1, 100),
        )


def _env_number(name: str, default: float, low: float, high: float) -> float:
    """A number from the environment; a bad value is logged and the default used (ingest must go on)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        log.error("%s=%r ignoré (attendu : un nombre entre %s et %s) ; valeur par défaut %s", name, raw, low, high, default)
        return default
    return value


def f1_by_threshold(scores, same_event) -> pd.DataFrame:
    """Precision, recall and F1 of "score ≥ t means the same event", for t = 0 … 100."""
    scores = np.asarray(scores, dtype=float)
    truth = np.asarray(same_event).astype(bool)
    rows = []
    for t in range(101):
        said = scores >= t
        tp, fp, fn = int((said & truth).sum()), int((said & ~truth).sum()), int((~said & truth).sum())
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((t, precision, recall, f1, tp, fp, fn))
    return pd.DataFrame(rows, columns=["threshold", "precision", "recall", "f1", "tp", "fp", "fn"])



# -- grouping a batch ---------------------------------------------------------------------------------

def assign_incidents(cur, settings: GroupSettings | None = None) -> None:
    """Give every row of `fresh` its incident, insert the incidents founded and the index keys."""
    settings = settings or GroupSettings.from_env()
    cur.execute("alter table fresh add column incident_id bigint")
    cur.execute("update fresh set incident_id = report_id")
    joined = _joins(cur, settings)
    if len(joined):
        cur.register("grp_joined", joined)
        cur.execute(
            "update fresh set incident_id = j.incident_id from grp_joined j where fresh.report_id = j.report_id")
        cur.unregister("grp_joined")
    cur.execute(
        """
        insert into main.incidents
        select incident_id, received_at, occurred_at, occurred_local, commune_code, departement_code,
               lat, lon, geo_precision, category, severity, left(description::varchar, 280), place_text, source,
               search_title, search_place
        from fresh
        where incident_id = report_id
        """
    )
    cur.execute(INSERT_KEYS)


# The index keys of the new reports (fresh_keys holds only reports that can group).
INSERT_KEYS = """
insert into main.report_keys
select k.report_id, f.occurred_at, k.kind, k.key from fresh_keys k join fresh f using (report_id)
"""

# An index key: a token with the commune and category it was written in (the xor of their hashes), or
# for kind 'u' the commune and category alone, hashed (md5, stable across versions) so that the joins
# compare one integer. Two keys that collide only add a candidate pair, which the scoring then refuses:
# never a wrong grouping.
BLOCK_KEY = "md5_number_lower(concat_ws(chr(31), {commune}, {category}))"
TOKEN_HASH = "md5_number_lower({token})"

# What both passes share: the new reports that can group (a column that is empty in a whole file may
# come typed as a number: compare text with text), each probing its own time bucket of one window and
# both neighbours, so that every join is on equal keys; the open incidents of the batch's time span
# (current commune, category and status, after operator corrections); the latest move of each report.
_COMMON = """
keyed as (
    select f.report_id, epoch(f.occurred_at) as t, f.commune_code::varchar as commune_code,
           f.category::varchar as category, f.block, floor(epoch(f.occurred_at) / $w)::bigint as b,
           f.report_id in (select report_id from fresh_keys where kind = 'k') as has_key
    from fresh f
    where f.commune_code is not null and f.category is not null and f.description is not null
),
probe as (
    select report_id, t, commune_code, category, has_key, block, unnest([b - 1, b, b + 1]) as bucket from keyed
),
open_incidents as (
    select incident_id, epoch(occurred_at) as t0, commune_code, category,
           floor(epoch(occurred_at) / $w)::bigint as b
    from main.incident_state
    where occurred_at between $lo and $hi and status not in ('faux', 'doublon')
      and commune_code is not null and category is not null
),
moved as (
    select report_id, arg_max(to_incident, move_id) as to_incident from main.report_moves group by report_id
)
"""

# Stored reports are reached through their incidents: first the open incidents of r's block begun within
# one window of r, then the reports that belong to them now (after merges and splits), so that a file
# never scans the whole store of reports. `{probes}`: which new reports look (a fixed fragment).
_NEAR = """
near as (
    select p.report_id as r_id, p.t as r_t, i.incident_id, i.t0
    from probe p
    join open_incidents i on i.commune_code = p.commune_code and i.category = p.category and i.b = p.bucket
    where {probes} and abs(p.t - i.t0) <= $w
),
members as (
    select r.report_id, epoch(r.occurred_at) as t, coalesce(m.to_incident, r.incident_id) as incident_id
    from main.reports r
    left join moved m using (report_id)
    where r.incident_id in (select incident_id from near) or r.report_id in (select report_id from moved)
)"""

# The exact candidates (may r join the incident of s?): same commune and category, s within one window
# of r, and the incident of s begun within one window of r. Within the batch, s comes before r in
# (occurred_at, report_id) order; its incident is only known in Python, which checks when it began.
# `{probes}` (and the same in `{near}`, with the incidents) narrow the second pass to the reports left by
# the first and the incidents they were found similar to (fixed fragments below, never input).
EXACT = """
create or replace temp table grp_pairs as
with {common},
in_batch as (
    select p.report_id as r_id, p.t as r_t, s.report_id as s_id, s.t as s_t,
           cast(null as bigint) as s_incident, cast(null as double) as s_t0, p.t - s.t as dt, false as s_stored
    from probe p
    join keyed s on s.commune_code = p.commune_code and s.category = p.category and s.b = p.bucket
    where {probes} and (s.t < p.t or (s.t = p.t and s.report_id < p.report_id)) and p.t - s.t <= $w
),
{near},
stored as (
    select n.r_id, n.r_t, s.report_id as s_id, s.t as s_t, n.incident_id as s_incident, n.t0 as s_t0,
           abs(n.r_t - s.t) as dt, true as s_stored
    from near n
    join members s using (incident_id)
    where abs(n.r_t - s.t) <= $w
)
select * from in_batch
union all
select * from stored
"""
_EVERY = "true"
_LEFT = "p.report_id in (select report_id from grp_left)"
EXACT_ALL = EXACT.format(common=_COMMON, probes=_EVERY, near=_NEAR.format(probes=_EVERY))
EXACT_LEFT = EXACT.format(common=_COMMON, probes=_LEFT, near=_NEAR.format(
    probes=f"{_LEFT} and i.incident_id in (select incident_id from grp_anchor_incidents)"))

# The first pass: the candidates that the veto does not refuse outright (a superset of the pairs that
# could group). A report with a key meets the other keyed reports only through the keys — its key among
# their tokens, or theirs among its tokens — and every report without one (`u` rows, and the reports of
# incidents whose commune or category an operator changed, or that received moved reports: their
# stored keys carry their old block). A report without a key meets every candidate, as in EXACT.
PRUNED = """
create or replace temp table grp_pairs as
with {common},
fresh_key as (
    select k.report_id, k.kind, k.key, f.t
    from fresh_keys k join keyed f using (report_id)
    where k.kind in ('k', 't')
),
unkeyed_fresh as (select * from keyed where not has_key),
in_batch_every as (
    select p.report_id as r_id, p.t as r_t, s.report_id as s_id, s.t as s_t
    from probe p
    join keyed s on s.commune_code = p.commune_code and s.category = p.category and s.b = p.bucket
    where not p.has_key and (s.t < p.t or (s.t = p.t and s.report_id < p.report_id)) and p.t - s.t <= $w
    union all
    select p.report_id, p.t, s.report_id, s.t
    from probe p
    join unkeyed_fresh s on s.commune_code = p.commune_code and s.category = p.category and s.b = p.bucket
    where p.has_key and (s.t < p.t or (s.t = p.t and s.report_id < p.report_id)) and p.t - s.t <= $w
),
in_batch_keys as (
    select x.report_id as a, x.t as a_t, y.report_id as c, y.t as c_t,
           x.t > y.t or (x.t = y.t and x.report_id > y.report_id) as a_later
    from (select * from fresh_key where kind = 'k') x
    join (select * from fresh_key where kind = 't') y on y.key = x.key
    where x.report_id <> y.report_id and abs(x.t - y.t) <= $w
),
in_batch as (
    select r_id, r_t, s_id, s_t from in_batch_every
    union
    select case when a_later then a else c end, case when a_later then a_t else c_t end,
           case when a_later then c else a end, case when a_later then c_t else a_t end
    from in_batch_keys
),
{near},
recategorised as (
    select distinct incident_id from main.status_events where field in ('commune_code', 'category')
),
irregular_members as (
    -- Reports whose stored keys may carry another block than their incident's now: moved reports, and
    -- the reports of incidents whose commune or category an operator changed.
    select r.report_id, epoch(r.occurred_at) as t, coalesce(m.to_incident, r.incident_id) as incident_id
    from main.reports r
    left join moved m using (report_id)
    where (r.report_id in (select report_id from moved) or r.incident_id in (select incident_id from recategorised))
      and r.occurred_at between $lo and $hi
),
unkeyed_stored as (
    select report_id, epoch(occurred_at) as t, key as block
    from main.report_keys
    where kind = 'u' and occurred_at between $lo and $hi
    union all
    select m.report_id, m.t, {block_now}
    from irregular_members m join main.incident_state i using (incident_id)
    where i.commune_code is not null and i.category is not null
),
stored as (
    select n.r_id, n.r_t, s.report_id as s_id, s.t as s_t
    from near n join members s using (incident_id)
    where abs(n.r_t - s.t) <= $w
    union all
    select p.report_id, p.t, s.report_id, s.t
    from probe p
    join unkeyed_stored s on s.block = p.block and floor(s.t / $w)::bigint = p.bucket
    where p.has_key and abs(p.t - s.t) <= $w
    union all
    -- Each kind on its own side before the join: tokens meeting tokens ("vers", "2") would be millions.
    select x.report_id, x.t, y.report_id, epoch(y.occurred_at)
    from (select * from fresh_key where kind = 'k') x
    join (select * from main.report_keys where kind = 't' and occurred_at between $lo and $hi) y on y.key = x.key
    where abs(x.t - epoch(y.occurred_at)) <= $w
    union all
    select x.report_id, x.t, y.report_id, epoch(y.occurred_at)
    from (select * from fresh_key where kind = 't') x
    join (select * from main.report_keys where kind = 'k' and occurred_at between $lo and $hi) y on y.key = x.key
    where abs(x.t - epoch(y.occurred_at)) <= $w
)
select distinct r_id, r_t, s_id, s_t, false as s_stored from in_batch
union all
select distinct r_id, r_t, s_id, s_t, true from stored
""".format(common=_COMMON, near=_NEAR.format(probes="not p.has_key"),
           block_now=BLOCK_KEY.format(commune="i.commune_code", category="i.category"))

# The stored incidents that the reports left by the first pass were found similar to, as they are now.
ANCHOR_INCIDENTS = """
create or replace temp table grp_anchor_incidents as
select distinct coalesce(m.to_incident, r.incident_id) as incident_id
from main.reports r
left join (select report_id, arg_max(to_incident, move_id) as to_incident
           from main.report_moves group by report_id) m using (report_id)
where r.report_id in (select report_id from grp_anchors)
"""

# What is compared of each report in a pair; reports stored before the keys existed give their text.
TEXTS = f"""
select report_id, match_text, match_names, null as raw from fresh
where report_id in (select r_id from grp_pairs union all select s_id from grp_pairs where not s_stored)
union all
select report_id, match_text, match_names,
       case when match_text is null then left(description, {TEXT_LIMIT}) end
from main.reports
where report_id in (select s_id from grp_pairs where s_stored)
"""


def _joins(cur, settings: GroupSettings) -> pd.DataFrame:
    """(report_id, incident_id) of the fresh reports that join an incident; the others found their own."""
    window = settings.window_hours * 3600.0
    lo, hi = cur.execute("select min(occurred_at), max(occurred_at) from fresh").fetchone()
    if lo is None or window <= 0:
        return pd.DataFrame()
    delta = dt.timedelta(seconds=window)
    params = {"w": window, "lo": lo - delta, "hi": hi + delta}
    exact = EXACT_ALL
    if PRUNE:
        clock = time.perf_counter()
        first = _similar_pairs(cur, PRUNED, params, settings.threshold)
        if first is None:
            return pd.DataFrame()
        unvetoed = first[~first["vetoed"]]
        log.debug("regroupement, premier passage : %d paires semblables, %d rapports à examiner (%.0f ms)",
                  len(first), unvetoed["r_id"].nunique(), (time.perf_counter() - clock) * 1000)
        if unvetoed.empty:
            return pd.DataFrame()
        cur.register("grp_left_df", unvetoed[["r_id"]].drop_duplicates().rename(columns={"r_id": "report_id"}))
        cur.register("grp_anchors_df", unvetoed.loc[unvetoed["s_stored"], ["s_id"]].drop_duplicates()
                     .rename(columns={"s_id": "report_id"}))
        cur.execute("create or replace temp table grp_left as select * from grp_left_df")
        cur.execute("create or replace temp table grp_anchors as select * from grp_anchors_df")
        cur.unregister("grp_left_df")
        cur.unregister("grp_anchors_df")
        cur.execute(ANCHOR_INCIDENTS)
        exact = EXACT_LEFT
    try:
        similar = _similar_pairs(cur, exact, params, settings.threshold)
    finally:
        for table in ("grp_left", "grp_anchors", "grp_anchor_incidents"):
            cur.execute(f"drop table if exists {table}")  # fixed names
    if similar is None:
        return pd.DataFrame()
    similar = similar.sort_values(["r_t", "r_id", "score", "dt", "s_id"],
                                  ascending=[True, True, False, True, True], kind="stable")
    return _settle(similar, window)


def _similar_pairs(cur, candidates: str, params: dict, threshold: float) -> pd.DataFrame | None:
    """The candidate pairs of `candidates` whose texts are similar enough, with their score and whether
    the pair is vetoed; None when there is no candidate at all."""
    cur.execute(candidates, params)
    try:
        pairs = cur.execute("select * from grp_pairs").df()
        # As Arrow columns: a pandas frame of 100,000 strings costs more than the query.
        texts = cur.execute(TEXTS).to_arrow_table() if len(pairs) else None
    finally:
        cur.execute("drop table grp_pairs")
    if pairs.empty:
        return None
    ids = texts.column("report_id").to_numpy()
    first = np.sort(np.unique(ids, return_index=True)[1])  # a report reached twice counts once
    words = texts.column("match_text").to_numpy(zero_copy_only=False)[first]
    names = texts.column("match_names").to_numpy(zero_copy_only=False)[first]
    missing = np.flatnonzero(pd.isna(words))
    if len(missing):  # stored before version 5 of the schema
        keys = match_keys(texts.column("raw").to_numpy(zero_copy_only=False)[first][missing])
        words[missing], names[missing] = keys.words.to_pylist(), keys.names.to_pylist()
    position = pd.Index(ids[first])
    r_at, s_at = position.get_indexer(pairs["r_id"]), position.get_indexer(pairs["s_id"])
    pairs["score"] = similarity(words[r_at], words[s_at], threshold)
    keep = (pairs["score"] >= threshold).to_numpy()
    similar = pairs[keep]
    return similar.assign(vetoed=vetoes(r_at[keep], s_at[keep], words, names))


def _settle(pairs: pd.DataFrame, window: float) -> pd.DataFrame:
    """Each report r, in processing order, joins the incident of its best pair that is allowed.

    `pairs` (similar enough) come sorted by r's (occurred_at, report_id), then best first. A fresh s comes
    before its r, so its incident is settled by then. An incident is not allowed when it began more than
    a window away from r, or when one of its reports names a different place, station, time or actor
    than r (a vetoed pair).
    """
    r_ids, r_ts = pairs["r_id"].tolist(), pairs["r_t"].tolist()
    s_ids, s_ts = pairs["s_id"].tolist(), pairs["s_t"].tolist()
    s_incidents = pairs["s_incident"].fillna(-1).astype("int64").tolist()
    s_t0s = pairs["s_t0"].tolist()
    vetoed = pairs["vetoed"].tolist()
    incident: dict[int, int] = {}  # fresh report → the incident it joined
    start: dict[int, float] = {}  # fresh report → when its incident began (else: when it happened)

    def incident_of(k: int) -> tuple[int, float]:
        if s_incidents[k] >= 0:
            return s_incidents[k], s_t0s[k]
        s = s_ids[k]
        return incident.get(s, s), start.get(s, s_ts[k])

    first, n = 0, len(r_ids)
    while first < n:
        last = first
        while last < n and r_ids[last] == r_ids[first]:
            last += 1
        r, r_t = r_ids[first], r_ts[first]
        candidates = [(k, *incident_of(k)) for k in range(first, last)]
        refused = {chosen for k, chosen, _ in candidates if vetoed[k]}
        for k, chosen, began in candidates:
            if chosen not in refused and abs(r_t - began) <= window:
                incident[r], start[r] = chosen, began
                break
        first = last
    return pd.DataFrame({"report_id": list(incident), "incident_id": list(incident.values())}, dtype="int64")
