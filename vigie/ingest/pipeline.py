"""One inbox file → parse → validate → locate → dedupe → group → one transaction in DuckDB.

Nothing is lost: every record received ends up accepted, duplicate or quarantined, and the three
counts of a file add up to what it held. The file is moved out of the inbox only after its rows are
committed; a file whose content was already committed (a crash between commit and move) is just moved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from vigie.geo import Locator
from vigie.ingest import formats
from vigie.ingest import group
from vigie.ingest.normalize import normalize
from vigie.ingest.records import FeedError, Parsed, Rejection
from vigie.store import Store

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    file_name: str
    seq: int | None
    format: str | None
    received: int = 0
    accepted: int = 0
    duplicate: int = 0
    quarantined: int = 0
    already_done: bool = False
    error: str | None = None

    def summary(self) -> str:
        if self.already_done:
            return f"{self.file_name} : déjà traité (contenu identique), rien de changé"
        return (
            f"{self.file_name} : {self.received} reçus = {self.accepted} acceptés + "
            f"{self.duplicate} doublons + {self.quarantined} en quarantaine"
        )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def split_inbox_name(name: str) -> tuple[str | None, str]:
    """(source tag, original name) from an inbox file name `<stamp>__<source>__<original>`."""
    parts = name.split("__", 2)
    if len(parts) == 3:
        return (parts[1] or None), parts[2]
    return None, name


@dataclass
class Prepared:
    """A file parsed, validated and located, waiting for its transaction."""

    path: Path
    original: str
    sha: str
    format: str
    source: str
    started: dt.datetime
    received: int
    rejections: list[Rejection]
    accepted: pd.DataFrame


class SameAsPending(Exception):
    """The file holds the same bytes as a file of the batch not yet committed."""


def process_file(store: Store, path: Path, locator: Locator | None = None) -> IngestResult:
    prepared = prepare_file(store, path, locator)
    if isinstance(prepared, IngestResult):
        return prepared
    return commit_files(store, [prepared])[0]


def prepare_file(store: Store, path: Path, locator: Locator | None = None,
                 pending_shas: frozenset[str] | set[str] = frozenset()) -> Prepared | IngestResult:
    """Read, parse, validate and locate one file, outside the write lock. A file already committed is
    just moved, and a rallies or claims file is committed by its own module: both give their result."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if sha in pending_shas:
        raise SameAsPending(path.name)
    source_tag, original = split_inbox_name(path.name)
    cur = store.raw_cursor()
    done = cur.execute(
        "select count(*) from ingest_log where file_sha256 = $sha and status = 'done'", {"sha": sha}
    ).fetchone()[0]
    if done:
        _move(path, _processed(store, path))
        return IngestResult(path.name, None, None, already_done=True)

    started = utcnow()
    # Rally itineraries and social-media claims are not reports: they go to their own tables.
    from vigie.ingest import tables

    table_result = tables.ingest(store, path, original, sha, data, source_tag, started, locator)
    if table_result is not None:
        _move(path, _processed(store, path))
        store.bump()
        return table_result
    try:
        parsed = formats.parse(data, original, source_tag=source_tag, pack=store.pack)
    except FeedError as exc:
        parsed = Parsed(
            "inconnu", pd.DataFrame(), pd.DataFrame(), 1, [Rejection(None, exc.field, exc.reason, None)]
        )
    default_source = source_tag or formats.default_source(parsed.format)
    rejections = list(parsed.rejections)
    accepted = pd.DataFrame()
    if len(parsed.records):
        norm = normalize(
            parsed.records,
            locator or Locator(store.pack),
            default_source=default_source,
            received_at=started,
            utc_offset_hours=store.pack.utc_offset_hours,
        )
        raw_json = _raw_as_json(parsed.raw)
        lines = parsed.records["line_no"].to_numpy()
        for pos, field, reason in zip(norm.rejected_rows, norm.rejected_field, norm.rejected_reason):
            rejections.append(Rejection(int(lines[pos]), field, reason, raw_json[pos]))
        accepted = norm.reports.copy()
        accepted["raw"] = [raw_json[i] for i in accepted.index]
    return Prepared(path, original, sha, parsed.format, default_source, started, parsed.received, rejections,
                    accepted)


def commit_files(store: Store, batch: list[Prepared]) -> list[IngestResult]:
    """Commit the files of `batch` in one transaction (reports, incidents, quarantine, one ingest_log row
    each), then move them out of the inbox. Reports are deduplicated and grouped across the whole batch,
    as if the files were one; each file keeps its own counts."""
    with store.write_lock:
        cur = store.raw_cursor()
        cur.execute("begin")
        try:
            seqs = [cur.execute("select nextval('ingest_seq')").fetchone()[0] for _ in batch]
            frames = [p.accepted.assign(file_no=k, ingest_seq=seqs[k]) for k, p in enumerate(batch) if len(p.accepted)]
            accepted_of: dict[int, int] = {}
            if frames:
                combined = pd.concat(frames, ignore_index=True)
                combined["pos"] = np.arange(len(combined), dtype="int64")  # files in order, then rows
                accepted_of = _insert_reports(cur, combined)
            results = []
            for k, p in enumerate(batch):
                n_accepted = accepted_of.get(k, 0)
                n_duplicate = len(p.accepted) - n_accepted
                _write_quarantine(cur, seqs[k], p.original, p.rejections)
                if p.received != n_accepted + n_duplicate + len(p.rejections):
                    raise AssertionError(
                        f"comptes incohérents pour {p.original}: {p.received} reçus, "
                        f"{n_accepted}+{n_duplicate}+{len(p.rejections)}"
                    )
                cur.execute(
                    """
                    insert into ingest_log values ($seq, $file, $original, $sha, $format, $source, $started,
                                                   $finished, $received, $accepted, $duplicate, $quarantined,
                                                   'done', null)
                    """,
                    {
                        "seq": seqs[k], "file": p.path.name, "original": p.original, "sha": p.sha,
                        "format": p.format, "source": p.source, "started": p.started, "finished": utcnow(),
                        "received": p.received, "accepted": n_accepted, "duplicate": n_duplicate,
                        "quarantined": len(p.rejections),
                    },
                )
                results.append(IngestResult(p.original, seqs[k], p.format, p.received, n_accepted, n_duplicate,
                                            len(p.rejections)))
            cur.execute("commit")
        except Exception:
            cur.execute("rollback")
            raise
    # Committed: nothing after this point may make the caller retry the batch (its rows would come back
    # as duplicates). A file that cannot be moved stays in the inbox and is moved as "already done" next
    # time; a failed refresh of the state is redone by the next write.
    for p in batch:
        try:
            _move(p.path, _processed(store, p.path))
        except OSError as exc:
            log.error("%s : enregistré mais pas déplacé (%s) ; il le sera au prochain passage", p.path.name, exc)
    try:
        store.bump()
    except Exception:  # noqa: BLE001
        log.exception("actualisation de l'état après l'enregistrement de %d fichier(s)", len(batch))
    return results


def _write_quarantine(cur, seq: int, original: str, rejections: list[Rejection]) -> None:
    if not rejections:
        return
    quarantine = pd.DataFrame(
        {
            "line_no": pd.array([r.line_no for r in rejections], dtype="Int64"),
            "field": [r.field for r in rejections],
            "reason": [r.reason for r in rejections],
            "record": [r.record for r in rejections],
        },
    )
    cur.register("new_quarantine", quarantine)
    cur.execute(
        "insert into quarantine select $seq, $file, line_no, field, reason, record from new_quarantine",
        {"seq": seq, "file": original},
    )
    cur.unregister("new_quarantine")


def _processed(store: Store, path: Path) -> Path:
    return store.settings.processed if store.settings else path.parent / "processed"


def _raw_as_json(raw: pd.DataFrame | pd.Series) -> list[str | None]:
    """The original record of each row, as JSON text (computed by DuckDB for speed)."""
    if isinstance(raw, pd.Series):
        return raw.tolist()
    if raw.empty:
        return [None] * len(raw)
    if raw.shape[1] > 500:  # DuckDB's to_json over thousands of columns takes minutes; plain JSON does not
        import json

        return [json.dumps({k: None if pd.isna(v) else v for k, v in zip(raw.columns, row)}, ensure_ascii=False)
                for row in raw.itertuples(index=False, name=None)]
    import duckdb

    con = duckdb.connect()
    con.register("raw_df", raw)
    return [row[0] for row in con.execute("select to_json(r)::varchar from raw_df r").fetchall()]


NEXT_IDS = """
    create or replace temp table next_ids as
    select greatest((select coalesce(max(report_id), 0) from main.reports),
                    (select coalesce(max(incident_id), 0) from main.incidents)) as max_id
"""


def _insert_reports(cur, accepted: pd.DataFrame) -> dict[int, int]:
    """Insert the new reports of a batch (columns `file_no`, `ingest_seq`, `pos`: the order of the batch)
    and their incidents; returns how many rows of each file were accepted (the others are duplicates)."""
    # What near-duplicate grouping compares, computed once per report and stored with it.
    accepted = accepted.copy()
    if group.GroupSettings.from_env().window_hours > 0:
        accepted["match_text"], accepted["match_names"] = group.match_keys(accepted["description"].tolist())
    else:  # grouping off: the keys are filled in at the next start with grouping on
        accepted["match_text"] = accepted["match_names"] = pd.Series([None] * len(accepted), dtype="string",
                                                                       index=accepted.index)
    # As Arrow, not pandas: DuckDB scans Arrow columns in parallel, while object columns of a
    # DataFrame are converted one Python string at a time (3× slower on a 100,000-row file).
    cur.register("batch", pa.Table.from_pandas(accepted, preserve_index=False))
    cur.execute(
        """
        create or replace temp table staged as
        with hashed as (
            select *,
                   md5(concat_ws(chr(31), source, coalesce(description, ''),
                                 strftime(occurred_at, '%Y-%m-%dT%H:%M'),
                                 coalesce(commune_code, place_text, ''), coalesce(category, ''),
                                 coalesce(cast(round(lat, 5) as varchar), ''),
                                 coalesce(cast(round(lon, 5) as varchar), ''))) as content_hash
            from batch
        ),
        -- The batch is the small side: probe the stored keys with the batch's (a mark join the other
        -- way round builds a hash table of every stored key for each file).
        known_hash as (
            select content_hash from main.reports where content_hash in (select content_hash from hashed)
        ),
        known_ref as (
            select ref_key from main.reports where ref_key in (select ref_key from hashed where ref_key is not null)
        ),
        ranked as (
            select *,
                   row_number() over (partition by content_hash order by pos) as rank_hash,
                   row_number() over (partition by coalesce(ref_key, content_hash) order by pos) as rank_ref
            from hashed
        )
        select * exclude (rank_hash, rank_ref),
               rank_hash > 1 or rank_ref > 1
               or content_hash in (select content_hash from known_hash)
               or (ref_key is not null and ref_key in (select ref_key from known_ref))
               as is_duplicate
        from ranked
        """
    )
    cur.unregister("batch")
    # Ids follow the file's order, from one counter shared by reports and incidents (a sequence's
    # nextval() in INSERT … SELECT does not follow row order). Safe: writes hold the store's lock.
    cur.execute(NEXT_IDS)
    cur.execute(
        """
        create or replace temp table fresh as
        select (select max_id from next_ids) + row_number() over (order by pos) as report_id,
               * exclude (is_duplicate)
        from staged where not is_duplicate
        """
    )
    group.assign_incidents(cur)
    cur.execute(
        """
        insert into main.reports
        select report_id, ingest_seq, source, source_ref, received_at, reported_at, occurred_at, occurred_local,
               lat, lon, place_text, commune_code, departement_code, geo_precision, category, severity,
               description, language, reporter_name, reporter_phone, reporter_contact, flags,
               raw::json, ref_key, content_hash, incident_id, match_text, match_names,
               -- search_text, null where the incident's title holds the description (see 006_search_text.sql)
               case when incident_id <> report_id or length(description::varchar) > 280
                    then strip_accents(lower(description::varchar)) end
        from fresh
        """
    )
    counts = dict(cur.execute("select file_no, count(*) from fresh group by file_no").fetchall())
    cur.execute("drop table fresh")
    cur.execute("drop table staged")
    cur.execute("drop table next_ids")
    return counts


def _move(path: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    try:
        os.replace(path, target)
    except OSError:
        shutil.move(str(path), str(target))
