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
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vigie.geo import Locator
from vigie.ingest import formats
from vigie.ingest import group, match
from vigie.ingest.normalize import normalize
from vigie.ingest.records import FeedError, Parsed, Rejection
from vigie.store import Store
from vigie.text import as_text

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
    accepted: pa.Table  # typed, located rows with their raw record, content hash and grouping keys
    keys: pa.Table  # index keys of the grouping: (row in `accepted`, kind, token), see vigie.ingest.match


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
    accepted, keys = EMPTY_BATCH, EMPTY_KEYS
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
            rejections.append(Rejection(int(lines[pos]), field, reason, raw_json[int(pos)].as_py()))
        accepted, keys = _batch(norm.reports.append_column("raw", raw_json.take(pa.array(norm.rows))))
    return Prepared(path, original, sha, parsed.format, default_source, started, parsed.received, rejections,
                    accepted, keys)


# The exact-duplicate key of a report without an id: the same channel, text, minute, place, category,
# point and reporter. Two observers (or two phones) sending the same words are two reports; grouping
# makes them one corroborated incident. A report with an id is a duplicate only by (source, id).
CONTENT_HASH = """
md5(concat_ws(chr(31), source, coalesce(description, ''), strftime(occurred_at, '%Y-%m-%dT%H:%M'),
              coalesce(commune_code, place_text, ''), coalesce(category, ''),
              coalesce(cast(round(lat, 5) as varchar), ''), coalesce(cast(round(lon, 5) as varchar), ''),
              coalesce(reporter_phone, ''), coalesce(reporter_contact, ''), coalesce(reporter_name, '')))
"""
EMPTY_KEYS = pa.table({"row": pa.array([], pa.int64()), "kind": pa.array([], pa.string()),
                       "key": pa.array([], pa.uint64())})
EMPTY_BATCH = pa.table({})
# The block of a row (its commune and category, hashed; see vigie.ingest.group), when it can group.
BLOCK = f"""
case when commune_code is not null and category is not null and description is not null
     then {group.BLOCK_KEY.format(commune="commune_code::varchar", category="category::varchar")} end
"""
# What the search compares of the incident a row may found: its title and place, folded as in state.sql.
SEARCH_KEYS = """
strip_accents(lower(left(description::varchar, 280))) as search_title,
strip_accents(lower(place_text::varchar)) as search_place
"""
# Index keys of the rows that can group (those with a block): each distinct token hashed once.
BATCH_KEYS = f"""
with tokens as (select token, {group.TOKEN_HASH.format(token="token")} as hashed from (select distinct token from keys))
select k.row, k.kind, case when k.kind = 'u' then b.block else xor(b.block, t.hashed) end as key
from keys k join batch b using (row) left join tokens t using (token)
where b.block is not null
"""


_THREAD = threading.local()


def scratch() -> duckdb.DuckDBPyConnection:
    """This thread's own in-memory DuckDB, for vectorised work on a file before the write lock (the store's
    connection stays free); opened once per thread, since opening one costs about 10 ms a file."""
    con = getattr(_THREAD, "con", None)
    if con is None:
        con = _THREAD.con = duckdb.connect()
    return con


def _batch(table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """The accepted rows with what the transaction needs computed here, outside the write lock: the
    content hash, the block and, when grouping is on, the words, names and index keys of each text."""
    grouping = group.GroupSettings.from_env().window_hours > 0
    if grouping:
        words, names, index = match.match_keys(table.column("description"))
    else:  # grouping off: the keys are filled in at the next start with grouping on
        words = names = pa.nulls(table.num_rows, pa.string())
    table = table.append_column("match_text", words).append_column("match_names", names)
    con = scratch()
    try:
        con.register("rows_in", table.append_column("row", pa.array(np.arange(table.num_rows, dtype=np.int64))))
        computed = con.execute(f"select {CONTENT_HASH} as content_hash, {BLOCK} as block, {SEARCH_KEYS} "
                               "from rows_in order by row").to_arrow_table()
    finally:
        con.unregister("rows_in")
    for name in computed.column_names:
        table = table.append_column(name, computed.column(name))
    keys = index_keys(con, table.column("block"), index) if grouping else EMPTY_KEYS
    return table, keys


def index_keys(con: duckdb.DuckDBPyConnection, blocks: pa.Array | pa.ChunkedArray, index: pa.Table) -> pa.Table:
    """The index keys (row, kind, key) of rows with these blocks (null: the row cannot group), from their
    keys and tokens (`match.match_keys(...).index` or `match.index_rows`)."""
    con.register("batch", pa.table({"row": pa.array(np.arange(len(blocks), dtype=np.int64)), "block": blocks}))
    con.register("keys", index)
    try:
        return con.execute(BATCH_KEYS).to_arrow_table()
    finally:
        con.unregister("batch")
        con.unregister("keys")


def commit_files(store: Store, batch: list[Prepared]) -> list[IngestResult]:
    """Commit the files of `batch` in one transaction (reports, incidents, quarantine, one ingest_log row
    each), then move them out of the inbox. Reports are deduplicated and grouped across the whole batch,
    as if the files were one; each file keeps its own counts."""
    def write(cur) -> list[IngestResult]:
        seqs = store.next_ids("ingest_seq", len(batch), cur)
        accepted_of = _insert_reports(cur, batch, seqs) if any(p.accepted.num_rows for p in batch) else {}
        results = []
        for k, p in enumerate(batch):
            n_accepted = accepted_of.get(k, 0)
            n_duplicate = p.accepted.num_rows - n_accepted
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
        store.refresh_current(cur=cur)  # the incidents written, in the same transaction
        return results

    # One transaction, replayed whole if a concurrent writer of a lake invalidates it (an operator's
    # action refreshing the same cache): nothing outside the cursor happens before it commits.
    results = store.transact(write, "ingest")
    # Committed: nothing after this point may make the caller retry the batch (its rows would come back
    # as duplicates). A file that cannot be moved stays in the inbox and is moved as "already done" next
    # time; the pages' caches are invalidated by the version bump.
    for p in batch:
        try:
            _move(p.path, _processed(store, p.path))
        except OSError as exc:
            log.error("%s : enregistré mais pas déplacé (%s) ; il le sera au prochain passage", p.path.name, exc)
    store.bump(refreshed=True)
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


def _raw_as_json(raw: pd.DataFrame | pd.Series | pa.Table) -> pa.StringArray:
    """The original record of each row, as JSON text (computed by DuckDB for speed)."""
    if isinstance(raw, pd.Series):
        return as_text(raw)
    n = raw.num_rows if isinstance(raw, pa.Table) else len(raw)
    width = raw.num_columns if isinstance(raw, pa.Table) else raw.shape[1]
    if not width:
        return pa.nulls(n, pa.string())
    if width > 500:  # DuckDB's to_json over thousands of columns takes minutes; plain JSON does not
        import json

        frame = raw.to_pandas() if isinstance(raw, pa.Table) else raw
        return pa.array([json.dumps({k: None if pd.isna(v) else v for k, v in zip(frame.columns, row)},
                                    ensure_ascii=False) for row in frame.itertuples(index=False, name=None)],
                        pa.string())
    con = scratch()
    try:
        con.register("raw_records", raw)
        return con.execute("select to_json(r)::varchar from raw_records r").to_arrow_table().column(0).combine_chunks()
    finally:
        con.unregister("raw_records")


NEXT_IDS = """
    create or replace temp table next_ids as
    select greatest((select coalesce(max(report_id), 0) from main.reports),
                    (select coalesce(max(incident_id), 0) from main.incidents)) as max_id
"""

# Which rows of a batch are new: the first of their content and of their (source, id) in the batch,
# and neither known in `table`. The batch is the small side: the stored keys are probed with the batch's
# (a mark join the other way round builds a hash table of every stored key for each file). `{rows}` and
# `{table}` are fixed names (reports here, rallies in vigie.ingest.tables), never input.
FIRST_NEW = """
ranked as (
    select *,
           row_number() over (partition by content_hash order by pos) as rank_hash,
           row_number() over (partition by coalesce(ref_key, content_hash) order by pos) as rank_ref
    from {rows}
),
fresh as (
    select * from ranked
    where rank_hash = 1 and rank_ref = 1
      and content_hash not in (
          select content_hash from main.{table} where content_hash in (select content_hash from {rows}))
      and (ref_key is null or ref_key not in (
          select ref_key from main.{table} where ref_key in (select ref_key from {rows} where ref_key is not null)))
)
"""

# Only the keys are read here; ids follow the batch's order, from one counter shared by reports and
# incidents (a sequence's nextval() in INSERT … SELECT does not follow row order; safe: writes hold the
# store's lock).
# Reports: a row with an id is new unless its (source, id) is known; only a row without an id is compared
# by content (which includes its reporter, see CONTENT_HASH).
REPORTS_FIRST_NEW = """
ranked as (
    select *,
           row_number() over (partition by content_hash order by pos) as rank_hash,
           row_number() over (partition by coalesce(ref_key, content_hash) order by pos) as rank_ref
    from keys
),
fresh as (
    select * from ranked
    where rank_ref = 1
      and (ref_key is not null or (rank_hash = 1 and content_hash not in (
          select content_hash from main.reports where content_hash in (select content_hash from keys))))
      and (ref_key is null or ref_key not in (
          select ref_key from main.reports where ref_key in (select ref_key from keys where ref_key is not null)))
)
"""

NEW_ROWS = f"""
create or replace temp table new_rows as
with keys as (select pos, content_hash, ref_key from batch),
{REPORTS_FIRST_NEW}
select pos, (select max_id from next_ids) + row_number() over (order by pos) as report_id from fresh
"""

# What grouping and the incidents need of the new reports (not their raw record nor their reporter).
FRESH = """
create or replace temp table fresh as
select n.report_id, b.pos, b.file_no, b.received_at, b.occurred_at, b.occurred_local, b.commune_code,
       b.departement_code, b.lat, b.lon, b.geo_precision, b.category, b.severity, b.description,
       b.place_text, b.source, b.match_text, b.match_names, b.block, b.search_title, b.search_place
from batch b join new_rows n using (pos)
"""

INSERT_REPORTS = """
insert into main.reports
select f.report_id, b.ingest_seq, b.source, b.source_ref, b.received_at, b.reported_at, b.occurred_at,
       b.occurred_local, b.lat, b.lon, b.place_text, b.commune_code, b.departement_code, b.geo_precision,
       b.category, b.severity, b.description, b.language, b.reporter_name, b.reporter_phone,
       b.reporter_contact, b.flags, b.raw::json, b.ref_key, b.content_hash, f.incident_id, b.match_text,
       b.match_names,
       -- search_text, null where the incident's title holds the description (see 006_search_text.sql)
       case when f.incident_id <> f.report_id or length(b.description::varchar) > 280
            then strip_accents(lower(b.description::varchar)) end
from batch b join fresh f using (pos)
order by f.report_id
"""


def _insert_reports(cur, files: list[Prepared], seqs: list[int]) -> dict[int, int]:
    """Insert the new reports of a batch of files and their incidents, as if the files were one (in
    order); returns how many rows of each file were accepted (the others are duplicates)."""
    parts = [(k, p) for k, p in enumerate(files) if p.accepted.num_rows]
    offsets = np.cumsum([0] + [p.accepted.num_rows for _, p in parts])
    batch = pa.concat_tables(
        [p.accepted.append_column("file_no", pa.repeat(pa.scalar(k, pa.int64()), p.accepted.num_rows))
          .append_column("ingest_seq", pa.repeat(pa.scalar(seqs[k], pa.int64()), p.accepted.num_rows))
         for k, p in parts], promote_options="permissive")
    batch = batch.append_column("pos", pa.array(np.arange(batch.num_rows, dtype=np.int64)))
    batch_keys = pa.concat_tables(
        [p.keys.set_column(0, "pos", pc.add(p.keys.column("row"), pa.scalar(int(o), pa.int64())))
         for (_, p), o in zip(parts, offsets)])
    cur.register("batch", batch)
    cur.register("batch_keys", batch_keys)
    try:
        cur.execute(NEXT_IDS)
        cur.execute(NEW_ROWS)
        cur.execute(FRESH)
        cur.execute("create or replace temp table fresh_keys as "
                    "select n.report_id, k.kind, k.key from batch_keys k join new_rows n using (pos)")
        group.assign_incidents(cur)
        cur.execute(INSERT_REPORTS)
        # Reports without grouping keys (grouping off): the next start with grouping on computes them.
        cur.execute("delete from meta where key = 'grouping_keys' and exists "
                    "(select 1 from fresh where match_text is null and description is not null)")
        counts = dict(cur.execute("select file_no, count(*) from fresh group by file_no").fetchall())
    finally:
        cur.unregister("batch")
        cur.unregister("batch_keys")
    for table in ("fresh", "fresh_keys", "new_rows", "next_ids"):
        cur.execute(f"drop table if exists {table}")  # fixed names
    return counts


def _move(path: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    try:
        os.replace(path, target)
    except OSError:
        shutil.move(str(path), str(target))
