"""Feeds that are not incident reports: rally itineraries (feed 6) and social-media claims (feed 7).

They skip the reports pipeline (no coordinates, no grouping into incidents) but keep its promises:
`pipeline.process_file` hands a file over when `detect` recognises its columns, and this module
validates it and writes its rows, its quarantine and its `ingest_log` row in one transaction, with the
same accounting (received = accepted + duplicates + quarantined) and the same idempotence
(a rally is a duplicate by `(source, source_ref)` or by content, a claim by its url).

| columns in the header | table | format |
|---|---|---|
| `plateforme`/`platform` and `lien`/`url` | `claims` | `claims-csv` |
| `parti`/`party`, `date`/`heure`, `lieu`/`commune`, and no `categorie`/`gravite` | `rallies` | `rallies-csv` |
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pandas as pd

from vigie.geo import Locator
from vigie.ingest.pipeline import FIRST_NEW, IngestResult, utcnow
from vigie.ingest.records import FeedError, Parsed, Rejection, decode, header_key, sniff_delimiter
from vigie.store import Store
from vigie.text import match_key

HEAD_BYTES = 65_536
_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)
_COUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*([kKmM]?)")


# -- detection --------------------------------------------------------------------------------------

def detect(data: bytes, source_tag: str | None = None) -> str | None:
    """'rallies' or 'claims' when a file's header names their columns; None for every other feed."""
    from vigie.ingest import claims, kobo, rallies

    if kobo.is_kobo_tag(source_tag):
        return None
    header = _header_keys(data)
    if claims.is_claims_header(header):
        return "claims"
    if rallies.is_rallies_header(header):
        return "rallies"
    return None


def _header_keys(data: bytes) -> set[str]:
    try:
        text = decode(data[:HEAD_BYTES])
    except (FeedError, UnicodeError):  # binary, or a character cut at the end of the head
        return set()
    body = text.lstrip("\ufeff \r\n\t")
    if body[:1] in ("{", "["):
        return set()
    first = body.split("\n", 1)[0]
    try:
        header = next(csv.reader([first], delimiter=sniff_delimiter(first)), [])
    except csv.Error:
        return set()
    return {header_key(h) for h in header}


# -- shared typing helpers ----------------------------------------------------------------------------

def parse_count(value: str | None) -> tuple[int | None, bool]:
    """(number, readable) for counts as people write them: "5 000", "5.000", "1,2k", "3M"; blank is (None, True)."""
    if not value:
        return None, True
    text = value.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", text):  # thousands separators
        text = re.sub(r"[.,]", "", text)
    match = _COUNT.fullmatch(text)
    if not match:
        return None, False
    number = float(match.group(1).replace(",", "."))
    number *= {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    if number >= 10**12:
        return None, False
    return int(number), True


def http_url(value: str | None) -> str | None:
    """The value when it is one http(s) link, else None: pages render links, so no javascript: or data:."""
    if value and len(value) <= 2_000 and _URL.fullmatch(value):
        return value
    return None


def code_of(value: str | None, limit: int = 64) -> str | None:
    """A lower-case code from a free label: "Réseaux sociaux" -> "reseaux_sociaux"."""
    code = match_key(value).replace(" ", "_")[:limit]
    return code or None


def raw_records(header: list[str], rows: list[list[str]]) -> list[str]:
    return [json.dumps(dict(zip(header, row)), ensure_ascii=False) for row in rows]


# -- writing ------------------------------------------------------------------------------------------

DEFAULT_SOURCES = {"rallies": "itineraires", "claims": "veille_reseaux"}

INSERTS = {
    # Ids follow the file's order (row_number over pos); writes hold the store's lock, so max() is safe.
    # A column of the frame that is all None reaches DuckDB as INTEGER: text columns are cast back first.
    "rallies": """
        insert into main.rallies
        with typed as (
            select * replace (source_ref::varchar as source_ref, place::varchar as place, unit::varchar as unit,
                              protection_status::varchar as protection_status, ref_key::varchar as ref_key)
            from new_rows
        ),
        hashed as (
            select *, md5(concat_ws(chr(31), source, party, strftime(starts_at, '%Y-%m-%dT%H:%M'),
                                    commune_code, coalesce(place, ''))) as content_hash
            from typed
        ),
        """ + FIRST_NEW.format(rows="hashed", table="rallies") + """
        select (select coalesce(max(rally_id), 0) from main.rallies) + row_number() over (order by pos),
               $seq, source, source_ref, party, starts_at, starts_local, commune_code, place,
               expected_attendance, protection_status, unit, raw::json, ref_key, content_hash
        from fresh
    """,
    "claims": """
        insert into main.claims
        with typed as (
            select * replace (text::varchar as text, verdict::varchar as verdict, debunk_url::varchar as debunk_url)
            from new_rows
        ),
        ranked as (
            select *, row_number() over (partition by url order by pos) as rank_url from typed
        ),
        fresh as (
            select * from ranked where rank_url = 1 and url not in (select url from main.claims)
        )
        select (select coalesce(max(claim_id), 0) from main.claims) + row_number() over (order by pos),
               $seq, platform, url, text, first_seen, reach, verdict, debunk_url, raw::json
        from fresh
    """,
}


# A sighting is the row's date (else the file's arrival) and reach; the same sighting in a later file is
# not counted twice.
CLAIM_SIGHTINGS = """
    insert into main.claim_sightings
    select distinct c.claim_id, $seq, coalesce(n.first_seen, $started), n.reach
    from new_rows n join main.claims c using (url)
    where not exists (select 1 from main.claim_sightings s
                      where s.claim_id = c.claim_id and s.seen_at = coalesce(n.first_seen, $started)
                        and s.reach is not distinct from n.reach)
"""


def ingest(store: Store, path: Path, original: str, sha: str, data: bytes, source_tag: str | None,
           started: dt.datetime, locator: Locator | None = None) -> IngestResult | None:
    """Ingest a rallies or claims file in one transaction; None when the file is neither (a reports feed)."""
    kind = detect(data, source_tag)
    if kind is None:
        return None
    from vigie.ingest import claims, rallies

    default_source = source_tag or DEFAULT_SOURCES[kind]
    try:
        text = decode(data)
        if kind == "rallies":
            parsed = rallies.read(text, locator or Locator(store.pack), default_source=default_source,
                                  received_at=started, utc_offset_hours=store.pack.utc_offset_hours)
        else:
            parsed = claims.read(text, received_at=started, utc_offset_hours=store.pack.utc_offset_hours)
    except FeedError as exc:
        parsed = Parsed(f"{kind}-csv", pd.DataFrame(), pd.DataFrame(), 1, [Rejection(None, exc.field, exc.reason, None)])
    return _commit(store, kind, path.name, original, sha, parsed, default_source, started)


def submit_rallies(store: Store, data: bytes, original: str, party: str, source: str,
                   locator: Locator | None = None) -> tuple[IngestResult, list[Rejection]]:
    """A party liaison's own itineraries (its upload, or its form as a one-row file), read by the rallies
    reader for that party only and committed at once, with the same accounting as a file of the inbox;
    (the result, the rows refused with their reasons) so that the party can correct its file."""
    from vigie.ingest import rallies

    started = utcnow()
    sha = hashlib.sha256(data).hexdigest()
    try:
        parsed = rallies.read(decode(data), locator or Locator(store.pack), default_source=source,
                              received_at=started, utc_offset_hours=store.pack.utc_offset_hours, party=party)
    except FeedError as exc:
        parsed = Parsed("rallies-csv", pd.DataFrame(), pd.DataFrame(), 1, [Rejection(None, exc.field, exc.reason, None)])
    result = _commit(store, "rallies", original, original, sha, parsed, source, started)
    store.bump()
    return result, parsed.rejections


def _commit(store: Store, kind: str, file_name: str, original: str, sha: str, parsed: Parsed,
            default_source: str, started: dt.datetime) -> IngestResult:
    rows = parsed.records
    rejections = parsed.rejections
    def write(cur):
        seq = store.next_ids("ingest_seq", 1, cur)[0]
        n_accepted = 0
        if len(rows):
            cur.register("new_rows", rows)
            n_accepted = cur.execute(INSERTS[kind], {"seq": seq}).fetchone()[0]
            if kind == "claims":  # every row is a sighting, a claim seen again included (its spread)
                cur.execute(CLAIM_SIGHTINGS, {"seq": seq, "started": started})
            cur.unregister("new_rows")
        n_duplicate = len(rows) - n_accepted
        if rejections:
            quarantine = pd.DataFrame({
                "line_no": pd.array([r.line_no for r in rejections], dtype="Int64"),
                "field": [r.field for r in rejections],
                "reason": [r.reason for r in rejections],
                "record": [r.record for r in rejections],
            })
            cur.register("new_quarantine", quarantine)
            cur.execute("insert into quarantine select $seq, $file, line_no, field, reason, record from new_quarantine",
                        {"seq": seq, "file": original})
            cur.unregister("new_quarantine")
        if parsed.received != n_accepted + n_duplicate + len(rejections):
            raise AssertionError(f"comptes incohérents pour {original}: {parsed.received} reçus, "
                                 f"{n_accepted}+{n_duplicate}+{len(rejections)}")
        cur.execute(
            """
            insert into ingest_log (seq, file_name, original_name, file_sha256, format, source, started_at,
                                    finished_at, n_received, n_accepted, n_duplicate, n_quarantined, status)
            values ($seq, $file, $original, $sha, $format, $source, $started, $finished,
                    $received, $accepted, $duplicate, $quarantined, 'done')
            """,
            {"seq": seq, "file": file_name, "original": original, "sha": sha, "format": parsed.format,
             "source": default_source, "started": started, "finished": utcnow(), "received": parsed.received,
             "accepted": n_accepted, "duplicate": n_duplicate, "quarantined": len(rejections)},
        )
        return seq, n_accepted, n_duplicate

    # One transaction, replayed whole if a concurrent writer of a lake invalidates it.
    seq, n_accepted, n_duplicate = store.transact(write, "ingest")
    return IngestResult(original, seq, parsed.format, parsed.received, n_accepted, n_duplicate, len(rejections))
