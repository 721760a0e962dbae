"""The DuckLake backend of the store: tables in a DuckLake whose catalog is a PostgreSQL database and
whose data files are in S3-compatible object storage (or a shared folder), so that one ingest daemon
and any number of app replicas read and write the same data. Only vigie.store imports this module.

| variable            | example                                          | meaning                                |
|---------------------|--------------------------------------------------|----------------------------------------|
| VIGIE_LAKE_CATALOG  | postgres:dbname=vigie host=10.0.0.5 user=vigie   | the DuckLake catalog; unset: one DuckDB file |
| VIGIE_LAKE_DATA     | s3://vigie-lake/prod/ or /srv/vigie/lake/        | where the Parquet data files go        |
| VIGIE_S3_ENDPOINT   | s3.example.org or 127.0.0.1:9000                 | S3-compatible server (unset: AWS)      |
| VIGIE_S3_KEY_ID, VIGIE_S3_SECRET, VIGIE_S3_REGION | …                  | credentials and region                 |
| VIGIE_S3_URL_STYLE  | path                                             | `path` for most non-AWS servers        |
| VIGIE_S3_USE_SSL    | true                                             | false for a plain-HTTP server on loopback |

What DuckLake lacks, and how the store does without it:
- no sequences: a sequence of schema/ becomes a one-row table of the same name holding the last id
  given (`dialect`); `next_ids` moves it forward inside the writer's transaction. Two writers that
  reserve at once both update that row, so DuckLake refuses the second commit and it is retried: ids
  stay unique, and they are committed in the order they were given.
- no primary keys, so no `insert or replace`: `replace_row` deletes then inserts.
- concurrent writers: inserts into one table never conflict; a delete (or update) conflicts with any
  other commit that deleted from the same table since the transaction began. `retry` replays such a
  transaction with a fresh snapshot, and counts what it met (`CONFLICTS`).
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable, TypeVar

import duckdb
import duckdb_extensions

log = logging.getLogger(__name__)

NAME = "lake"  # the attached catalog's name; the store `use`s it so that main.* resolves to it
EXTENSIONS = ("ducklake", "postgres_scanner", "httpfs")

T = TypeVar("T")
# Conflicts met and transactions retried, by writer name, since the process started (measured: see tests).
CONFLICTS: Counter[str] = Counter()
_CONFLICTS_LOCK = threading.Lock()


@dataclass(frozen=True)
class LakeConfig:
    catalog: str  # DuckLake catalog: `postgres:<libpq dsn>`, or a local `*.ducklake` file for one process
    data: str  # s3://bucket/prefix/ or a folder
    s3_endpoint: str | None = None
    s3_key_id: str | None = None
    s3_secret: str | None = None
    s3_region: str | None = None
    s3_url_style: str | None = None
    s3_use_ssl: bool = True

    @classmethod
    def from_env(cls) -> "LakeConfig | None":
        catalog = os.environ.get("VIGIE_LAKE_CATALOG", "").strip()
        if not catalog:
            return None
        data = os.environ.get("VIGIE_LAKE_DATA", "").strip()
        if not data:
            raise ValueError("VIGIE_LAKE_CATALOG est défini mais pas VIGIE_LAKE_DATA (s3://… ou un dossier)")
        env = os.environ.get
        return cls(catalog, data, env("VIGIE_S3_ENDPOINT") or None, env("VIGIE_S3_KEY_ID") or None,
                   env("VIGIE_S3_SECRET") or None, env("VIGIE_S3_REGION") or None,
                   env("VIGIE_S3_URL_STYLE") or None,
                   env("VIGIE_S3_USE_SSL", "true").strip().lower() not in {"0", "false", "no", "non"})

    @property
    def on_s3(self) -> bool:
        return self.data.startswith(("s3://", "s3a://", "r2://", "gcs://"))

    def describe(self) -> str:
        """Where the lake is, for logs: the catalog without its password."""
        catalog = re.sub(r"password=\S+", "password=…", self.catalog)
        return f"DuckLake {catalog} → {self.data}"


def _literal(value: str) -> str:
    """A SQL string literal. ATTACH and CREATE SECRET take no bound parameters; the values come from the
    operator's environment, never from a user, and are quoted all the same."""
    return "'" + value.replace("'", "''") + "'"


def attach(con: duckdb.DuckDBPyConnection, config: LakeConfig) -> None:
    """Load the extensions from their pinned PyPI packages (offline), then attach the lake and use it."""
    for name in EXTENSIONS:
        duckdb_extensions.import_extension(name, con=con)
        con.execute(f"load {name}")  # fixed names
    if config.on_s3:
        options = {"key_id": config.s3_key_id, "secret": config.s3_secret, "region": config.s3_region,
                   "endpoint": config.s3_endpoint, "url_style": config.s3_url_style}
        parts = [f"{k} {_literal(v)}" for k, v in options.items() if v]
        parts.append(f"use_ssl {'true' if config.s3_use_ssl else 'false'}")
        con.execute(f"create or replace secret vigie_lake_s3 (type s3, {', '.join(parts)})")
    elif "://" not in config.data:
        os.makedirs(config.data, exist_ok=True)
    con.execute(f"attach if not exists {_literal('ducklake:' + config.catalog)} as {NAME} "
                f"(data_path {_literal(config.data)})")
    use(con)


# Parquet options per table, for the files written from now on (an existing lake takes them at its next
# rewrite: a full refresh, a compaction). incident_current is read by every page query and rebuilt from
# the audit trail whenever needed: uncompressed, its scans skip decoding (at 1,000,000 incidents the page
# queries' p95 went from 108–183 ms to 67–145 ms, bench/FINDINGS.md) for 3× the bytes of that one table.
TABLE_OPTIONS = {"incident_current": {"parquet_compression": "uncompressed"}}


def tune(cur: duckdb.DuckDBPyConnection) -> None:
    for table, options in TABLE_OPTIONS.items():
        for option, value in options.items():
            cur.execute(f"call {NAME}.set_option($option, $value, table_name => $table)",
                        {"option": option, "value": value, "table": table})


def use(cur: duckdb.DuckDBPyConnection) -> None:
    """Make the lake the cursor's default catalog: each DuckDB cursor starts on the in-memory one."""
    cur.execute(f"use {NAME}")


# -- the SQL of schema/ on DuckLake -------------------------------------------------------------
_SEQUENCE = re.compile(r"create\s+sequence\s+if\s+not\s+exists\s+(\w+)\s+start\s+1\s*;", re.IGNORECASE)
_PRIMARY_KEY = re.compile(r"\s+primary\s+key\b", re.IGNORECASE)


def dialect(sql: str) -> str:
    """A migration of schema/ as DuckLake takes it: each sequence becomes a one-row table holding the last
    id given (see next_ids), and primary keys go (replace_row does without them)."""
    sql = _SEQUENCE.sub(
        lambda m: (f"create table if not exists {m[1]} (last_id bigint not null);\n"
                   f"insert into {m[1]} select 0 where not exists (select 1 from {m[1]});"), sql)
    return _PRIMARY_KEY.sub("", sql)


def next_ids(cur: duckdb.DuckDBPyConnection, sequence: str, n: int) -> list[int]:
    """Reserve `n` ids from the one-row table `sequence`, inside the caller's transaction: a concurrent
    reservation makes one of the two commits fail, and the retry reads the other's last id."""
    last = cur.execute(f"select last_id from {sequence}").fetchone()[0]  # a name from schema/, never input
    cur.execute(f"update {sequence} set last_id = $last", {"last": last + n})
    return list(range(last + 1, last + n + 1))


# -- concurrent writers -------------------------------------------------------------------------
def is_conflict(exc: BaseException) -> bool:
    """A commit DuckLake refused because another process committed a conflicting change first."""
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


def retry(work: Callable[[], T], writer: str, attempts: int = 30) -> T:
    """Run `work` (one whole transaction, begin to commit) until it commits. After a conflict the
    transaction is replayed on a fresh snapshot, after a short random pause so that two writers that
    collided do not collide again."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except duckdb.Error as exc:
            if not is_conflict(exc) or attempt == attempts:
                raise
            with _CONFLICTS_LOCK:
                CONFLICTS[writer] += 1
            log.info("%s : conflit d'écriture DuckLake (essai %d), nouvelle tentative", writer, attempt)
            time.sleep(random.uniform(0.005, 0.02) * min(attempt, 10))
    raise AssertionError("unreachable")


def snapshot_id(cur: duckdb.DuckDBPyConnection) -> int:
    """The lake's latest committed snapshot: it changes with every commit of any process."""
    return int(cur.execute(f"select id from {NAME}.current_snapshot()").fetchone()[0])


# -- maintenance --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Maintenance:
    """What one pass of `compact` did (for the log and the tests)."""

    merged: int
    expired: int
    deleted_files: int
    seconds: float


def compact(con: duckdb.DuckDBPyConnection, keep: str = "1 day") -> Maintenance:
    """Merge the small files many small commits leave, expire the snapshots older than `keep` (time
    travel before that is given up; current rows are never touched, so the audit trail, insert-only,
    stays whole), then delete the files no snapshot refers to any more."""
    started = time.monotonic()
    interval = {"keep": keep}
    cur = con.cursor()
    try:
        # Rows small commits kept in the catalog (inlined) go to Parquet first, so that they merge too.
        # Counted rather than fetched: their rows carry time zones, which DuckDB converts with pytz.
        cur.execute(f"select count(*) from ducklake_flush_inlined_data({_literal(NAME)})").fetchone()
        merged = cur.execute(f"select count(*) from ducklake_merge_adjacent_files({_literal(NAME)})").fetchone()[0]
        expired = cur.execute(
            f"select count(*) from ducklake_expire_snapshots({_literal(NAME)}, "
            "older_than => now() - cast($keep as interval))", interval).fetchone()[0]
        deleted = cur.execute(
            f"select count(*) from ducklake_cleanup_old_files({_literal(NAME)}, "
            "older_than => now() - cast($keep as interval))", interval).fetchone()[0]
    finally:
        cur.close()
    return Maintenance(merged, expired, deleted, time.monotonic() - started)
