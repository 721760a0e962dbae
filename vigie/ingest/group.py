"""Grouping new reports into incidents: near-duplicate reports of one event join one incident.

Runs inside the ingest transaction on the temp table `fresh` (new, non-duplicate reports with their
report_id): gives each row an `incident_id` and inserts the incidents it founds (an incident founded
at ingest takes its first report's id, time, place and text). Reports and incidents are written once;
only the temp table `fresh` is updated.

The rule. Reports are taken in (occurred_at, report_id) order. A report joins an incident when
- the incident has the same commune and the same category (both known: a report without them never
  groups; a stored incident counts with its current commune and category, after operator corrections),
- the incident's occurred_at (its first report's) is within the window: |Δt| ≤ VIGIE_GROUP_WINDOW_HOURS,
- one of the incident's reports within the window of it says the same thing: `score_pairs` ≥
  VIGIE_GROUP_THRESHOLD.
When several incidents qualify, it joins the one holding the most similar report, then the closest in
time. An incident is skipped when one of its reports is vetoed against the new one (see below), so that
a vague message cannot chain two distinct events. Otherwise the report founds a new incident. Incidents
marked false (`faux`) or duplicate (`doublon`) attract nothing; reports moved by a merge or split count
in the incident they belong to now. Anchoring the window on the incident's first report keeps an
incident to one window of time: a day-long protest becomes several incidents, for operators to merge.

The score is rapidfuzz's token_set_ratio (0–100) on accent-folded lower-case words, with common SMS
shorthand written out (bcp → beaucoup) and French stop words left out, so that rewordings, SMS
spelling and channel prefixes ("Selon la police : …") still match. It is vetoed (0) when *both* texts
name something specific that the other does not mention — a proper noun (a capitalised word that does
not start a clause), a clock time (`9h30`) or a number after `n°`/`BV`: "bureau de vote de l'EPP
Ouando" and "… de l'EPP Djassin" are different events however alike the rest. Lower-case SMS text
names nothing, so it is never vetoed. The default threshold was chosen on the labelled pairs in
tests/fixtures/grouping/ (see the README, "Grouping reports into incidents").

| variable                 | default | meaning                                                                 |
|--------------------------|---------|-------------------------------------------------------------------------|
| VIGIE_GROUP_WINDOW_HOURS | 6       | largest gap between a report and the first report of its incident; 0: off |
| VIGIE_GROUP_THRESHOLD    | 71      | smallest text similarity (1–100) for a report to join an incident       |

Speed: the candidate search is DuckDB joins on equal keys (commune, category, time bucket of one
window) of `fresh` with itself and with the stored incidents of the batch's time span; only candidate
pairs come to Python for scoring (rapidfuzz.process.cpdist), and the result goes back with one
UPDATE … FROM and one INSERT … SELECT.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import time
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

log = logging.getLogger(__name__)

DEFAULT_WINDOW_HOURS = 6.0
DEFAULT_THRESHOLD = 71.0
TEXT_LIMIT = 500  # characters of a description compared (a 10 MB description must not cost more)

# Function words that make unrelated French sentences look alike ("de la … à … des").
STOPWORDS = frozenset((
    "a", "au", "aux", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du", "elle", "en", "est",
    "et", "il", "ils", "l", "la", "le", "les", "ne", "par", "pas", "plus", "pour", "qu", "que", "qui",
    "sa", "se", "ses", "son", "sur", "un", "une", "y",
))
# Common SMS shorthand, written out so that "bcp de blesses" meets "beaucoup de blessés".
SMS_WORDS = {
    "bcp": "beaucoup", "ds": "dans", "pr": "pour", "ac": "avec", "avc": "avec", "ki": "qui", "ke": "que",
    "koi": "quoi", "tt": "tout", "ts": "tous", "qd": "quand", "pb": "probleme", "pbm": "probleme",
    "bv": "bureau vote", "mm": "meme", "jr": "jour", "auj": "aujourd hui", "ajd": "aujourd hui",
    "manif": "manifestation", "tjs": "toujours", "tjrs": "toujours", "ns": "nous", "vs": "vous",
    "dc": "donc", "ms": "mais", "pdt": "pendant", "qq": "quelques", "qlq": "quelques", "pk": "pourquoi",
    "svp": "", "stp": "",
}
_SMS_KEYS = frozenset(SMS_WORDS)


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


# -- the similarity of two texts ----------------------------------------------------------------------
# Folding goes through NFKD → ASCII and bytes.translate, all in C: about 5 µs a text.

# Characters that NFKD→ASCII would drop although they separate words; «, », dashes also end a clause.
_BEFORE_ASCII = (("’", " "), ("‘", " "), ("°", " "), ("«", " | "), ("»", " | "),
                 ("–", " | "), ("—", " | "), ("œ", "oe"), ("Œ", "Oe"), ("æ", "ae"), ("Æ", "Ae"))
_CLAUSE_END = b'.:;!?()[]"|'
# ASCII letters and digits kept (lower-cased, or as they are), clause ends → "|", anything else → space.
_LOWER = bytes(c | 0x20 if chr(c).isalpha() and c < 128 else c if chr(c).isdigit() and c < 128 else 32
               for c in range(256))
_CASED = bytes(c if chr(c).isalnum() and c < 128 else 124 if c in _CLAUSE_END else 32 for c in range(256))


def _ascii(text: str | None) -> bytes:
    """The text folded to ASCII (accents dropped), case kept; the first TEXT_LIMIT characters."""
    text = (text or "")[:TEXT_LIMIT]
    if text.isascii():
        return text.encode("ascii")
    for char, replacement in _BEFORE_ASCII:
        text = text.replace(char, replacement)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore")


def _normalize_ascii(folded: bytes) -> str:
    words = folded.translate(_LOWER).decode("ascii").split()
    if not _SMS_KEYS.isdisjoint(words):
        words = [SMS_WORDS.get(w, w) for w in words]
    return " ".join([w for w in words if w and w not in STOPWORDS])


def normalize(text: str | None) -> str:
    """The words compared: accent-folded, lower-case, SMS shorthand written out, without stop words.

    >>> normalize("Selon la police : affrontemnt à Godomey, bcp de blessés")
    'selon police affrontemnt godomey beaucoup blesses'
    """
    return _normalize_ascii(_ascii(text))


class _Mentions(NamedTuple):
    names: frozenset[str]  # proper nouns, clock times and station numbers the text names
    words: frozenset[str]  # the compared words (`normalize`), to look names up in


# On the folded text, words separated by single spaces and clause ends written " | ": a capitalised
# word right after another word is a name; one that starts the text or a clause is grammar.
_NAME = re.compile(r"(?<=[A-Za-z0-9] )[A-Z][A-Za-z0-9]*")
_CLOCK = re.compile(r"(?<![a-z0-9])\d{1,2}h(?:\d\d)?(?![a-z0-9])")
_NUMBERED = re.compile(r"(?<![a-z0-9])(?:n|no|num|numero|bv) (\d+)(?![a-z0-9])")


def _names(folded: bytes) -> str:
    """What a text (folded by `_ascii`) names, sorted and space-separated: "Selon la police : Un …"
    names nothing ("")."""
    cased = " ".join(folded.replace(b" - ", b" | ").translate(_CASED).replace(b"|", b" | ").decode("ascii").split())
    lower = cased.lower()
    names = {name.lower() for name in _NAME.findall(cased)} - STOPWORDS
    names.update(_CLOCK.findall(lower))
    names.update(_NUMBERED.findall(lower))
    return " ".join(sorted(names))


def match_keys(texts) -> tuple[list[str], list[str]]:
    """For each text, what grouping compares: its normalised words and the names it mentions.
    Written with each report at insert (reports.match_text, reports.match_names); a text repeated in
    a batch is folded once."""
    norms: list[str] = []
    names: list[str] = []
    seen: dict[str, tuple[str, str]] = {}
    for text in texts:
        if not isinstance(text, str):
            text = "" if text is None or pd.isna(text) else str(text)
        keys = seen.get(text)
        if keys is None:
            folded = _ascii(text)
            keys = seen[text] = (_normalize_ascii(folded), _names(folded))
        norms.append(keys[0])
        names.append(keys[1])
    return norms, names


def _mentions(norm: str, names) -> _Mentions:
    return _Mentions(frozenset(names.split() if isinstance(names, str) else ()), frozenset(norm.split()))


def _names_unmentioned(a: _Mentions, b: _Mentions) -> bool:
    """Does `a` name something `b` does not mention? Names of 5 letters or more may be misspelt."""
    for name in a.names - b.words:
        # The compared words have SMS shorthand written out: "Bv" is looked up as written out.
        written = SMS_WORDS.get(name)
        if written is not None and (not written or set(written.split()) <= b.words):
            continue
        if len(name) < 5 or name[0].isdigit():
            return True
        long_words = [w for w in b.words if len(w) >= 5]
        if process.extractOne(name, long_words, scorer=fuzz.ratio, score_cutoff=85) is None:
            return True
    return False


def _conflict(a: _Mentions, b: _Mentions) -> bool:
    """Each text names something the other does not: two different places, stations, times or actors."""
    return bool(a.names and b.names) and _names_unmentioned(a, b) and _names_unmentioned(b, a)


def _similarity(norm_a, norm_b, threshold: float) -> np.ndarray:
    """token_set_ratio of aligned pairs of normalised texts; pairs under the threshold score 0."""
    if len(norm_a) == 0:
        return np.zeros(0, dtype=np.float32)
    return process.cpdist(norm_a, norm_b, scorer=fuzz.token_set_ratio, score_cutoff=threshold or None,
                          workers=-1).astype(np.float32)


def score_pairs(texts_a: list[str | None], texts_b: list[str | None]) -> np.ndarray:
    """The grouping score (0–100) of each pair (texts_a[i], texts_b[i]), as at ingest: the similarity
    of the normalised texts, or 0 when the pair is vetoed."""
    norm_a, names_a = match_keys(texts_a)
    norm_b, names_b = match_keys(texts_b)
    scores = _similarity(norm_a, norm_b, 0)
    for i in np.flatnonzero(scores > 0):
        if _conflict(_mentions(norm_a[i], names_a[i]), _mentions(norm_b[i], names_b[i])):
            scores[i] = 0
    return scores


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
               lat, lon, geo_precision, category, severity, left(description::varchar, 280), place_text, source
        from fresh
        where incident_id = report_id
        """
    )


# Candidate pairs (may r join the incident of s?): same commune and category, s within one window of r,
# and the incident of s begun within one window of r. Time is cut into buckets of one window and r looks
# in its own bucket and both neighbours, so that every join is on equal keys. Within the batch, s comes
# before r in (occurred_at, report_id) order; its incident is only known in Python, which checks when it
# began. Stored reports are reached through their incidents: first the open incidents (current commune,
# category and status, after operator corrections) begun within one window of r, then the reports that
# belong to them now (after merges and splits), so that a file never scans the whole store of reports.
CANDIDATES = """
create or replace temp table grp_pairs as
with keyed as (
    -- A column that is empty in a whole file may come typed as a number: compare text with text.
    select report_id, epoch(occurred_at) as t, commune_code::varchar as commune_code, category::varchar as category,
           floor(epoch(occurred_at) / $w)::bigint as b
    from fresh
    where commune_code is not null and category is not null and description is not null
),
probe as (
    select report_id, t, commune_code, category, unnest([b - 1, b, b + 1]) as bucket from keyed
),
in_batch as (
    select p.report_id as r_id, p.t as r_t, s.report_id as s_id, s.t as s_t,
           cast(null as bigint) as s_incident, cast(null as double) as s_t0, p.t - s.t as dt
    from probe p
    join keyed s on s.commune_code = p.commune_code and s.category = p.category and s.b = p.bucket
    where (s.t < p.t or (s.t = p.t and s.report_id < p.report_id)) and p.t - s.t <= $w
),
open_incidents as (
    select incident_id, epoch(occurred_at) as t0, commune_code, category,
           floor(epoch(occurred_at) / $w)::bigint as b
    from main.incident_state
    where occurred_at between $lo and $hi and status not in ('faux', 'doublon')
      and commune_code is not null and category is not null
),
near as (
    select p.report_id as r_id, p.t as r_t, i.incident_id, i.t0
    from probe p
    join open_incidents i on i.commune_code = p.commune_code and i.category = p.category and i.b = p.bucket
    where abs(p.t - i.t0) <= $w
),
moved as (
    select report_id, arg_max(to_incident, move_id) as to_incident from main.report_moves group by report_id
),
members as (
    select r.report_id, epoch(r.occurred_at) as t, coalesce(m.to_incident, r.incident_id) as incident_id
    from main.reports r
    left join moved m using (report_id)
    where r.incident_id in (select incident_id from near) or r.report_id in (select report_id from moved)
),
stored as (
    select n.r_id, n.r_t, s.report_id as s_id, s.t as s_t, n.incident_id as s_incident, n.t0 as s_t0,
           abs(n.r_t - s.t) as dt
    from near n
    join members s using (incident_id)
    where abs(n.r_t - s.t) <= $w
)
select * from in_batch
union all
select * from stored
"""

# What is compared of each report in a pair; reports stored before the keys existed give their text.
TEXTS = f"""
select report_id, match_text, match_names, null as raw from fresh
where report_id in (select r_id from grp_pairs union all select s_id from grp_pairs where s_incident is null)
union all
select report_id, match_text, match_names,
       case when match_text is null then left(description, {TEXT_LIMIT}) end
from main.reports
where report_id in (select s_id from grp_pairs where s_incident is not null)
"""


def _joins(cur, settings: GroupSettings) -> pd.DataFrame:
    """(report_id, incident_id) of the fresh reports that join an incident; the others found their own."""
    window = settings.window_hours * 3600.0
    lo, hi = cur.execute("select min(occurred_at), max(occurred_at) from fresh").fetchone()
    if lo is None or window <= 0:
        return pd.DataFrame()
    clock = [time.perf_counter()]
    delta = dt.timedelta(seconds=window)
    cur.execute(CANDIDATES, {"w": window, "lo": lo - delta, "hi": hi + delta})
    try:
        pairs = cur.execute("select * from grp_pairs").df()
        # As Arrow columns: a pandas frame of 100,000 strings costs more than the query.
        texts = cur.execute(TEXTS).to_arrow_table() if len(pairs) else None
    finally:
        cur.execute("drop table grp_pairs")
    clock.append(time.perf_counter())
    if pairs.empty:
        return pd.DataFrame()
    ids = texts.column("report_id").to_numpy()
    first = np.sort(np.unique(ids, return_index=True)[1])  # a report reached twice counts once
    norm = texts.column("match_text").to_numpy(zero_copy_only=False)[first]
    names = texts.column("match_names").to_numpy(zero_copy_only=False)[first]
    missing = np.flatnonzero(pd.isna(norm))
    if len(missing):  # stored before version 5 of the schema
        keys = match_keys(texts.column("raw").to_numpy(zero_copy_only=False)[first][missing])
        norm[missing], names[missing] = keys
    clock.append(time.perf_counter())
    position = pd.Index(ids[first])
    r_at, s_at = position.get_indexer(pairs["r_id"]), position.get_indexer(pairs["s_id"])
    pairs["score"] = _similarity(norm[r_at], norm[s_at], settings.threshold)
    keep = (pairs["score"] >= settings.threshold).to_numpy()
    similar = pairs[keep]
    similar = similar.assign(vetoed=_vetoes(r_at[keep], s_at[keep], norm, names)).sort_values(
        ["r_t", "r_id", "score", "dt", "s_id"], ascending=[True, True, False, True, True], kind="stable")
    clock.append(time.perf_counter())
    joined = _settle(similar, window)
    clock.append(time.perf_counter())
    steps = np.diff(clock) * 1000
    log.debug("regroupement : %d paires candidates, %d textes, %d paires semblables, %d rattachés "
              "(ms : requête %.0f, textes %.0f, similarité %.0f, décision %.0f)",
              len(pairs), len(texts), len(similar), len(joined), *steps)
    return joined


def _vetoes(a_at: np.ndarray, b_at: np.ndarray, norm: np.ndarray, names: np.ndarray) -> list[bool]:
    """Whether each similar pair (a_at[i], b_at[i]) is vetoed: both name something the other does not."""
    named = [isinstance(n, str) and n != "" for n in names]
    mentions: dict[int, _Mentions] = {}

    def of(k: int) -> _Mentions:
        found = mentions.get(k)
        if found is None:
            found = mentions[k] = _mentions(norm[k], names[k])
        return found

    return [named[a] and named[b] and _conflict(of(a), of(b)) for a, b in zip(a_at.tolist(), b_at.tolist())]


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
