"""Grouping new reports into incidents: near-duplicate reports of one event join one incident.

Runs inside the ingest transaction on the temp table `fresh` (new, non-duplicate reports with their
report_id): gives each row an `incident_id` and inserts the incidents it founds (an incident founded
at ingest takes its first report's id, time, place and text). Reports and incidents are written once;
only the temp table `fresh` is updated.

The rule. Reports are taken in (occurred_at, report_id) order. A report joins an incident when
- the incident has the same commune and the same category (both known: a report without them never
  groups; a stored incident counts with its current commune and category, after operator corrections),
- the incident's occurred_at (its first report's) is within the window: |Δt| ≤ VIGIE_GROUP_WINDOW_HOURS,
- one of the incident's reports says the same thing: `score_pairs` ≥ VIGIE_GROUP_THRESHOLD.
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

| variable                  | default | meaning                                                          |
|---------------------------|---------|------------------------------------------------------------------|
| VIGIE_GROUP_WINDOW_HOURS  | 6       | largest gap between a report and the first report of its incident |
| VIGIE_GROUP_THRESHOLD     | 71      | smallest text similarity (0–100) for a report to join an incident |

Speed: the candidate search is DuckDB joins on equal keys (commune, category, time bucket of one
window) of `fresh` with itself and with the stored incidents of the batch's time span; only candidate
pairs come to Python for scoring (rapidfuzz.process.cpdist), and the result goes back with one
UPDATE … FROM and one INSERT … SELECT.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import unicodedata
from dataclasses import dataclass

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


@dataclass(frozen=True)
class GroupSettings:
    window_hours: float = DEFAULT_WINDOW_HOURS
    threshold: float = DEFAULT_THRESHOLD

    @classmethod
    def from_env(cls) -> GroupSettings:
        return cls(
            window_hours=_env_number("VIGIE_GROUP_WINDOW_HOURS", DEFAULT_WINDOW_HOURS, 0, 24 * 30),
            threshold=_env_number("VIGIE_GROUP_THRESHOLD", DEFAULT_THRESHOLD, 0, 100),
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
_BEFORE_ASCII = (("’", " "), ("‘", " "), ("°", " "), ("\u00a0", " "), ("«", " | "), ("»", " | "),
                 ("–", " | "), ("—", " | "), ("œ", "oe"), ("Œ", "Oe"), ("æ", "ae"), ("Æ", "Ae"))
_CLAUSE_END = b'.:;!?()[]"|'
# ASCII letters and digits kept (lower-cased, or as they are), clause ends → "|", anything else → space.
_LOWER = bytes(c | 0x20 if chr(c).isalpha() and c < 128 else c if chr(c).isdigit() and c < 128 else 32
               for c in range(256))
_CASED = bytes(c if chr(c).isalnum() and c < 128 else 124 if c in _CLAUSE_END else 32 for c in range(256))
_NUMBER_MARKERS = frozenset({"n", "no", "num", "numero", "bv"})


def _ascii(text: str) -> bytes:
    text = text[:TEXT_LIMIT]
    for char, replacement in _BEFORE_ASCII:
        text = text.replace(char, replacement)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore")


def normalize(text: str | None) -> str:
    """The words compared: accent-folded, lower-case, SMS shorthand written out, without stop words.

    >>> normalize("Selon la police : affrontemnt à Godomey, bcp de blessés")
    'selon police affrontemnt godomey beaucoup blesses'
    """
    if not text:
        return ""
    words = _ascii(text).translate(_LOWER).decode("ascii").split()
    return " ".join([w for w in (SMS_WORDS.get(w, w) for w in words) if w and w not in STOPWORDS])


@dataclass(frozen=True)
class _Mentions:
    names: frozenset[str]  # proper nouns, clock times and station numbers the text names
    words: frozenset[str]  # every folded word of the text
    long_words: tuple[str, ...]  # words of 5 letters or more, for spelling slips in names


def _is_clock(key: str) -> bool:
    """9h, 14h30 (folded: lower-case ASCII)."""
    hours, sep, minutes = key.partition("h")
    return bool(sep) and hours.isdigit() and len(hours) <= 2 and (minutes == "" or minutes.isdigit() and len(minutes) == 2)


def _mentions(text: str | None) -> _Mentions:
    """What a text names. A capital that starts a clause ("Selon la police : Un …") is grammar, not a name."""
    raw = _ascii(text or "").replace(b" - ", b" | ").translate(_CASED).replace(b"|", b" | ").decode("ascii")
    names, words = set(), set()
    first, previous = True, ""
    for token in raw.split():
        if token == "|":
            first = True
            continue
        key = token.lower()
        words.add(key)
        if key not in STOPWORDS:
            if _is_clock(key) or (key.isdigit() and previous in _NUMBER_MARKERS):
                names.add(key)
            elif not first and token[0].isupper():
                names.add(key)
        first, previous = False, key
    return _Mentions(frozenset(names), frozenset(words), tuple(w for w in words if len(w) >= 5))


def _names_unmentioned(a: _Mentions, b: _Mentions) -> bool:
    """Does `a` name something `b` does not mention? Names of 5 letters or more may be misspelt."""
    for name in a.names - b.words:
        if len(name) < 5 or name[0].isdigit():
            return True
        if process.extractOne(name, b.long_words, scorer=fuzz.ratio, score_cutoff=85) is None:
            return True
    return False


def _conflict(a: _Mentions, b: _Mentions) -> bool:
    """Each text names something the other does not: two different places, stations, times or actors."""
    return _names_unmentioned(a, b) and _names_unmentioned(b, a)


def _scores(norm_a, norm_b, raw_a, raw_b, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(similarity, veto) of aligned pairs. Pairs under the threshold score 0 and are not checked for
    a veto (they cannot group anyway); a vetoed pair scores 0."""
    if len(norm_a) == 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=bool)
    scores = process.cpdist(norm_a, norm_b, scorer=fuzz.token_set_ratio, score_cutoff=threshold or None,
                            workers=-1).astype(np.float32)
    veto = np.zeros(len(scores), dtype=bool)
    cache: dict[str, _Mentions] = {}

    def mentions(text: str) -> _Mentions:
        found = cache.get(text)
        if found is None:
            found = cache[text] = _mentions(text)
        return found

    for i in np.flatnonzero(scores >= max(threshold, 1e-9)):
        veto[i] = _conflict(mentions(raw_a[i]), mentions(raw_b[i]))
    scores[veto] = 0
    return scores, veto


def score_pairs(texts_a: list[str | None], texts_b: list[str | None], threshold: float = 0) -> np.ndarray:
    """The grouping score (0–100) of each pair (texts_a[i], texts_b[i]), exactly as at ingest.

    With threshold > 0, pairs under it score 0 (as at ingest); the default scores every pair, which is
    what evaluating thresholds needs.
    """
    raw_a = [t or "" for t in texts_a]
    raw_b = [t or "" for t in texts_b]
    return _scores([normalize(t) for t in raw_a], [normalize(t) for t in raw_b], raw_a, raw_b, threshold)[0]


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
               lat, lon, geo_precision, category, severity, left(description, 280), place_text, source
        from fresh
        where incident_id = report_id
        """
    )


# Candidate pairs (may r join the incident of s?): same commune and category, and time within the
# window. Time is cut into buckets of one window and r looks in its own bucket and both neighbours, so
# every join is on equal keys. Within the batch, s comes before r in (occurred_at, report_id) order and
# within one window of it (the window from s's incident's first report is checked in Python, once that
# incident is known). Stored incidents must have begun within one window of r; all their reports count.
CANDIDATES = """
create or replace temp table grp_pairs as
with keyed as (
    select report_id, epoch(occurred_at) as t, commune_code, category,
           floor(epoch(occurred_at) / $w)::bigint as b,
           row_number() over (order by occurred_at, report_id) as ord
    from fresh
    where commune_code is not null and category is not null and description is not null
),
probe as (
    select report_id, t, commune_code, category, ord, unnest([b - 1, b, b + 1]) as bucket from keyed
),
in_batch as (
    select p.report_id as r_id, p.ord as r_ord, p.t as r_t, s.report_id as s_id, s.t as s_t,
           cast(null as bigint) as s_incident, cast(null as double) as s_t0, p.t - s.t as dt
    from probe p
    join keyed s on s.commune_code = p.commune_code and s.category = p.category and s.b = p.bucket
    where s.ord < p.ord and p.t - s.t <= $w
),
near as (
    select incident_id, epoch(occurred_at) as t0, commune_code, category,
           floor(epoch(occurred_at) / $w)::bigint as b
    from main.incident_state
    where occurred_at between $lo and $hi
      and status not in ('faux', 'doublon')
      and commune_code is not null and category is not null
),
stored as (
    select p.report_id as r_id, p.ord as r_ord, p.t as r_t, s.report_id as s_id, epoch(s.occurred_at) as s_t,
           i.incident_id as s_incident, i.t0 as s_t0, abs(p.t - epoch(s.occurred_at)) as dt
    from probe p
    join near i on i.commune_code = p.commune_code and i.category = p.category and i.b = p.bucket
    join main.report_state s on s.incident_id = i.incident_id
    where abs(p.t - i.t0) <= $w and s.description is not null
)
select * from in_batch
union all
select * from stored
"""

TEXTS = f"""
select report_id, left(description, {TEXT_LIMIT}) as raw from fresh
where report_id in (select r_id from grp_pairs union all select s_id from grp_pairs where s_incident is null)
union all
select report_id, left(description, {TEXT_LIMIT}) from main.reports
where report_id in (select s_id from grp_pairs where s_incident is not null)
"""


def _joins(cur, settings: GroupSettings) -> pd.DataFrame:
    """(report_id, incident_id) of the fresh reports that join an incident; the others found their own."""
    window = settings.window_hours * 3600.0
    lo, hi = cur.execute("select min(occurred_at), max(occurred_at) from fresh").fetchone()
    if lo is None or window <= 0:
        return pd.DataFrame()
    delta = dt.timedelta(seconds=window)
    cur.execute(CANDIDATES, {"w": window, "lo": lo - delta, "hi": hi + delta})
    try:
        pairs = cur.execute("select * from grp_pairs").df()
        texts = cur.execute(TEXTS).df() if len(pairs) else pd.DataFrame()
    finally:
        cur.execute("drop table grp_pairs")
    if pairs.empty:
        return pd.DataFrame()
    texts = texts.drop_duplicates("report_id")
    raw = texts["raw"].fillna("").to_numpy(object)
    norm = np.array([normalize(t) for t in raw], dtype=object)
    position = pd.Index(texts["report_id"])
    r_at, s_at = position.get_indexer(pairs["r_id"]), position.get_indexer(pairs["s_id"])
    pairs["score"], pairs["veto"] = _scores(norm[r_at], norm[s_at], raw[r_at], raw[s_at], settings.threshold)
    pairs = pairs[(pairs["score"] >= settings.threshold) | pairs["veto"]].sort_values(
        ["r_ord", "score", "dt", "s_id"], ascending=[True, False, True, True], kind="stable")
    return _settle(pairs, window)


def _settle(pairs: pd.DataFrame, window: float) -> pd.DataFrame:
    """Each report r, in processing order, joins the incident of its best pair that is allowed.

    `pairs` come sorted by r's order, then best first. A fresh s comes before its r, so its incident is
    settled by then. An incident is not allowed when it began more than a window away from r, or when
    one of its reports names a different place, station, time or actor than r (a vetoed pair).
    """
    r_ids, r_ts = pairs["r_id"].tolist(), pairs["r_t"].tolist()
    s_ids, s_ts = pairs["s_id"].tolist(), pairs["s_t"].tolist()
    s_incidents = pairs["s_incident"].fillna(-1).astype("int64").tolist()
    s_t0s, vetoes = pairs["s_t0"].tolist(), pairs["veto"].tolist()
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
        barred = {incident_of(k)[0] for k in range(first, last) if vetoes[k]}
        for k in range(first, last):
            if vetoes[k]:
                continue
            chosen, began = incident_of(k)
            if chosen not in barred and abs(r_t - began) <= window:
                incident[r], start[r] = chosen, began
                break
        first = last
    return pd.DataFrame({"report_id": list(incident), "incident_id": list(incident.values())}, dtype="int64")
