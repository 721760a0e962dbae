"""The one owner of the data: connection, schema migrations, role-scoped cursors, writes.

Two backends, chosen by configuration; only this module (and vigie.lake, which it imports) knows which
one it talks to:
- one DuckDB file (the default): only the server process opens it (DuckDB allows a single writer
  process); other processes reach it through the inbox;
- a DuckLake (VIGIE_LAKE_CATALOG, see vigie/lake.py): one ingest daemon and any number of app replicas
  open the same lake; each transaction that a concurrent commit invalidates is replayed (`transact`).
Inside a process there is one connection, a fresh cursor per query or thread, and one lock around
writes so the ingest thread and operators' actions queue up instead of conflicting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import duckdb_extensions
import pandas as pd

from vigie import lake
from vigie.config import Settings
from vigie.geo import Pack, load_pack

SCHEMA_DIR = Path(__file__).parent / "schema"
MIGRATIONS = sorted(SCHEMA_DIR.glob("[0-9][0-9][0-9]_*.sql"))

ROLES = ("admin", "operator", "observer", "journalist", "factchecker", "party")
# Each role reads through one schema of views (see schema/views.sql).
SCOPES = {
    "admin": "scope_operator",
    "operator": "scope_operator",
    "observer": "scope_observer",
    "journalist": "scope_journalist",
    "factchecker": "scope_factchecker",  # claims: verdicts and links only (schema/views.sql)
    "party": "scope_party",  # one party's own rallies, bound per cursor (see cursor)
}


class DatabaseLocked(Exception):
    """Another process (the running server) holds the DuckDB file."""


@dataclass(frozen=True)
class Event:
    incident_id: int
    field: str
    to_value: str | None
    actor: str
    reason: str | None = None
    from_value: str | None = None


def connect(path: Path | None, extension_dir: Path) -> duckdb.DuckDBPyConnection:
    """Open the database (in memory for None: a lake is attached to it) with the spatial extension loaded
    from the pinned PyPI package (offline)."""
    try:
        con = duckdb.connect(str(path) if path is not None else ":memory:")
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseLocked(str(exc)) from exc
        raise
    # Set before loading anything, or DuckDB writes extensions to the home directory.
    con.execute("set extension_directory = $dir", {"dir": str(extension_dir)})
    # DuckDB takes up to 80 % of the machine's memory by default; the server shares the machine. Beyond
    # the limit DuckDB spills to a temporary folder beside the database instead of growing.
    con.execute("set memory_limit = $limit", {"limit": os.environ.get("VIGIE_DUCKDB_MEMORY", "1GB")})
    duckdb_extensions.import_extension("spatial", con=con)  # installs from the wheel, no download
    con.execute("load spatial")
    return con


class StaleVersion(Exception):
    """An incident changed (in this process or another) since the version an action was checked against."""

    def __init__(self, incident_id: int):
        super().__init__(incident_id)
        self.incident_id = incident_id


class SchemaMissing(Exception):
    """A replica found no migrated lake: the ingest daemon (`python -m vigie ingestd`) creates it."""


class Store:
    def __init__(self, con: duckdb.DuckDBPyConnection, pack: Pack, settings: Settings | None = None,
                 lake_config: lake.LakeConfig | None = None):
        self.con = con
        self.pack = pack
        self.settings = settings
        self.lake = lake_config  # None: one DuckDB file
        self.write_lock = threading.RLock()
        self._version = 0
        self._version_lock = threading.Lock()
        self._snapshot = (0.0, 0)  # (monotonic time read, lake snapshot id)

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings, replica: bool = False, wait: float = 60.0) -> "Store":
        """Open the configured backend. The writer migrates; a replica (lake only) uses the schema the
        ingest daemon made, waiting up to `wait` seconds for it, and writes only operators' actions."""
        settings.ensure_dirs()
        config = lake.LakeConfig.from_env()
        if replica and config is None:
            raise ValueError("--replica demande un lac partagé (VIGIE_LAKE_CATALOG, VIGIE_LAKE_DATA)")
        con = connect(None if config else settings.db_path, settings.extension_dir)
        if config:
            lake.attach(con, config)
        store = cls(con, load_pack(settings.pack), settings, config)
        if replica:
            store._wait_for_schema(wait)
        else:
            store.migrate()
        return store

    @property
    def backend(self) -> str:
        """What the store runs on, for logs and the Sources page: never used to branch outside this module."""
        if self.lake:
            return self.lake.describe()
        return f"DuckDB {self.settings.db_path}" if self.settings else f"DuckDB (mémoire, {id(self)})"

    def _wait_for_schema(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        latest = int(MIGRATIONS[-1].name[:3])
        while True:
            try:
                stamp = self.raw_cursor().execute(
                    "select value from meta where key = 'state_definition'").fetchone()
                applied = self.raw_cursor().execute("select max(version) from schema_version").fetchone()[0]
                if stamp == (_state_digest(),) and applied == latest:
                    return
            except duckdb.CatalogException:
                pass
            if time.monotonic() > deadline:
                raise SchemaMissing("Aucun lac migré : démarrez d'abord `python -m vigie ingestd`.")
            time.sleep(0.5)

    def _sql(self, text: str) -> str:
        """Schema SQL as the backend takes it."""
        return lake.dialect(text) if self.lake else text

    def migrate(self) -> None:
        with self.write_lock:
            con = self.con
            con.execute("create table if not exists schema_version (version integer, applied_at timestamp)")
            applied = {row[0] for row in con.execute("select version from schema_version").fetchall()}
            for path in MIGRATIONS:
                version = int(path.name[:3])
                if version in applied:
                    continue
                con.execute("begin")
                con.execute(self._sql(path.read_text(encoding="utf-8")))
                con.execute("insert into schema_version values ($v, now())", {"v": version})
                con.execute("commit")
            self._create_state_views()
            rebuild = self._ensure_current_table()
            if self.lake:
                lake.tune(con)
            con.execute((SCHEMA_DIR / "views.sql").read_text(encoding="utf-8"))
            template = (SCHEMA_DIR / "filtered.sql").read_text(encoding="utf-8")
            for scope in sorted(set(SCOPES.values())):
                # The scope names come from the fixed SCOPES table above, never from input.
                con.execute(template.replace("{scope}", scope))
            self._close_fallback()
            # A new country pack moves the communes' centres and départements that the cache holds.
            reloaded = self._load_geography()
            self.refresh_current(full=rebuild or reloaded)
            if rebuild:  # stamped once the rebuild is committed: a start that fails midway rebuilds again
                self.replace_row("meta", {"key": "state_definition", "value": _state_digest()})

    def _close_fallback(self) -> None:
        """DuckDB resolves a name that the search_path's schema lacks in `main`: a role's cursor reading a
        table its schema has no view for would read the whole table. Every table and view of `main` without a
        view of that name in a scope gets one there that fails as soon as it would return a row, so that no
        query, whatever its mistake, reaches `main` through a role's cursor."""
        cur = self.con.cursor()
        tables = cur.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = current_database()"
        ).fetchall()
        main = sorted({name for schema, name in tables if schema == "main"})
        for scope in sorted(set(SCOPES.values())):
            have = {name for schema, name in tables if schema == scope}
            for name in main:
                if name in have:
                    continue
                # Names from the catalog of this database, quoted; the scope from the fixed SCOPES table.
                ident = name.replace('"', '""')
                cur.execute(f'create view {scope}."{ident}" as select * from main."{ident}" '
                            f"where error('{ident.replace(chr(39), '')} : hors des vues de ce rôle') is null")

    def _create_state_views(self) -> None:
        """The state definition twice: over every incident, and over those listed in refresh_ids."""
        template = (SCHEMA_DIR / "state.sql").read_text(encoding="utf-8")
        self.con.execute("create table if not exists main.refresh_ids (incident_id bigint)")
        only = "incident_id in (select incident_id from main.refresh_ids)"
        for name, restrict, restrict_reports in (
            ("incident_state_live", "true", "true"),
            ("incident_state_touched", only,
             f"(r.{only} or r.report_id in (select report_id from main.report_moves))"),
        ):
            # Fixed names and filters from this function, never input.
            self.con.execute(template.replace("{name}", name).replace("{only_reports}", restrict_reports)
                             .replace("{only}", restrict))

    def _ensure_current_table(self) -> bool:
        """Create main.incident_current with the live view's columns; True when it must be rebuilt."""
        cur = self.raw_cursor()
        wanted = [r[0] for r in cur.execute("describe main.incident_state_live").fetchall()]
        try:
            have = [r[0] for r in cur.execute("describe main.incident_current").fetchall()]
        except duckdb.CatalogException:
            have = None
        stamp = cur.execute("select value from meta where key = 'state_definition'").fetchone()
        if have == wanted and stamp == (_state_digest(),):
            return False
        # A new version of the state definition (its columns or only how it computes them): the cache
        # is rebuilt from the audit trail.
        cur.execute("drop view if exists main.incident_state")
        cur.execute("drop table if exists main.incident_current")
        cur.execute("create table main.incident_current as select * from main.incident_state_live limit 0")
        return True

    def refresh_current(self, full: bool = False, cur: duckdb.DuckDBPyConnection | None = None) -> None:
        """Bring main.incident_current up to date with the incidents and events written since the last
        refresh. It is a cache of main.incident_state_live: the audit trail stays the source of truth,
        and `full=True` rebuilds it from there. With `cur`, inside that cursor's open transaction (the
        ingest refreshes the incidents it wrote before it commits: one commit, never a stale cache)."""
        if cur is None:
            with self.write_lock:
                self.transact(lambda c: self.refresh_current(full, c), "refresh")
            return
        with self.write_lock:
            if full:
                cur.execute("delete from main.incident_current")
                cur.execute("insert into main.incident_current select * from main.incident_state_live")
            else:
                marks = dict(cur.execute(
                    "select key, value from meta where key in ('current_event_id', 'current_report_id', "
                    "'current_move_id')").fetchall())
                # Touched: incidents with new events, new incidents, incidents that gained a report
                # at ingest, and both ends of a report moved by a merge or a split.
                cur.execute("delete from main.refresh_ids")
                cur.execute(
                    """insert into main.refresh_ids
                       select incident_id from main.status_events where event_id > $events
                       union
                       select incident_id from main.incidents
                       where incident_id > (select coalesce(max(incident_id), 0) from main.incident_current)
                       union
                       select incident_id from main.reports where report_id > $reports
                       union
                       select unnest([from_incident, to_incident]) from main.report_moves where move_id > $moves""",
                    {name: int(marks.get(f"current_{name[:-1]}_id", 0)) for name in ("events", "reports", "moves")},
                )
                cur.execute("delete from main.incident_current where incident_id in (select incident_id from main.refresh_ids)")
                cur.execute("insert into main.incident_current select * from main.incident_state_touched")
                cur.execute("delete from main.refresh_ids")
            # Delete then insert, rather than `insert or replace`: a lake has no primary keys.
            cur.execute("delete from meta where key in ('current_event_id', 'current_report_id', 'current_move_id')")
            cur.execute("""insert into meta
                       select 'current_event_id', cast(coalesce(max(event_id), 0) as varchar)
                       from main.status_events
                       union all
                       select 'current_report_id', cast(coalesce(max(report_id), 0) as varchar)
                       from main.reports
                       union all
                       select 'current_move_id', cast(coalesce(max(move_id), 0) as varchar)
                       from main.report_moves""")

    def _load_geography(self) -> bool:
        """Load the country pack's communes, once per pack (a change of pack reloads them); True when
        they were (re)loaded."""
        row = self.con.execute("select value from meta where key = 'pack'").fetchone()
        if row and row[0] == self.pack.id:
            return False
        communes = self.pack.communes.copy()
        communes["wkt"] = [g.wkt for g in self.pack.geometries]
        cur = self.raw_cursor()
        cur.execute("begin")
        cur.execute("delete from communes")
        cur.execute("delete from departements")
        cur.register("pack_communes", communes)
        cur.execute(
            """
            insert into communes
            select commune_code, commune, departement_code, departement, population, area_km2, lat, lon,
                   st_geomfromtext(wkt)
            from pack_communes
            """
        )
        cur.execute(
            "insert into departements select distinct departement_code, departement from pack_communes"
        )
        self.replace_row("meta", {"key": "pack", "value": self.pack.id}, cur)
        cur.execute("commit")
        cur.unregister("pack_communes")
        return True

    # -- reading -------------------------------------------------------------------------------
    def cursor(self, role: str, party: str | None = None) -> duckdb.DuckDBPyConnection:
        """A cursor that sees only what `role` may see (its search_path is the role's schema). A party
        liaison's cursor is bound to its account's party: its views read the variable set here, and each
        cursor is a connection of its own, so no other cursor ever sees it."""
        if role not in SCOPES:
            raise PermissionError(f"Rôle inconnu : {role!r}")
        if role == "party" and not (party or "").strip():
            raise PermissionError("Compte de parti sans parti : aucune donnée.")
        cur = self.raw_cursor()
        cur.execute("set search_path = $scope", {"scope": SCOPES[role]})
        if role == "party":
            cur.execute("set variable vigie_party = $party", {"party": party.strip()})
        return cur

    def raw_cursor(self) -> duckdb.DuckDBPyConnection:
        """An unscoped cursor, for ingestion and administration code only (never for pages)."""
        cur = self.con.cursor()
        if self.lake:
            lake.use(cur)
        return cur

    @property
    def version(self) -> int:
        """Changes after every committed write; cached query results are keyed on it. On a lake, the
        writes of other processes count too: the lake's snapshot id, read at most twice a second."""
        if not self.lake:
            return self._version
        read_at, snapshot = self._snapshot
        now = time.monotonic()
        if now - read_at > 0.5:
            cur = self.raw_cursor()
            try:
                snapshot = lake.snapshot_id(cur)
            finally:
                cur.close()
            self._snapshot = (now, snapshot)
        return snapshot * 1_000_000 + self._version  # our own writes show at once, not half a second later

    def bump(self, refreshed: bool = False) -> int:
        """After every committed write: refresh the current-state cache (unless the write did it inside its
        own transaction), then invalidate cached results."""
        if not refreshed:
            self.refresh_current()
        with self._version_lock:
            self._version += 1
            self._snapshot = (0.0, self._snapshot[1])
            return self._version

    def transact(self, work, writer: str = "store"):
        """Run `work(cursor)` in one transaction and return what it returns. On a lake, a commit that a
        concurrent writer's commit invalidated is replayed from the start on a fresh snapshot, so
        `work` must only read and write through its cursor (no other side effect before it returns)."""
        def once():
            cur = self.raw_cursor()
            cur.execute("begin")
            try:
                result = work(cur)
                cur.execute("commit")
                return result
            except Exception:
                try:
                    cur.execute("rollback")
                except duckdb.Error:
                    pass  # a failed commit already ended the transaction
                raise
            finally:
                cur.close()

        with self.write_lock:
            return lake.retry(once, writer) if self.lake else once()

    # -- writing -------------------------------------------------------------------------------
    # Every write outside ingest goes through next_ids / replace_row / insert-only rows, so that a
    # backend without sequences or upserts on shared tables (DuckLake) can implement them in one place.
    # A cursor given to them is inside the caller's open transaction (a lake relies on it).
    def next_ids(self, sequence: str, n: int = 1, cur: duckdb.DuckDBPyConnection | None = None) -> list[int]:
        """Reserve `n` ascending ids from `sequence` (a name from schema/, never from input)."""
        if n <= 0:
            return []
        if self.lake:
            # Inside the caller's transaction (a given cursor is one), so that its ids are committed with
            # its rows, in id order; alone, in a transaction of their own.
            if cur is not None:
                return lake.next_ids(cur, sequence, n)
            return self.transact(lambda c: lake.next_ids(c, sequence, n), sequence)
        cur = cur or self.raw_cursor()
        rows = cur.execute(f"select nextval('{sequence}') from range($n)", {"n": n}).fetchall()
        return sorted(r[0] for r in rows)

    def replace_row(self, table: str, row: dict, cur: duckdb.DuckDBPyConnection | None = None) -> None:
        """Insert `row` into a key/value table (meta, connector_state), replacing the row with its key,
        the row's first item. Table and column names come from code, values are bound."""
        names = list(row)
        columns, values = ", ".join(names), ", ".join("$" + n for n in names)
        if not self.lake:
            (cur or self.raw_cursor()).execute(f"insert or replace into {table} ({columns}) values ({values})", row)
            return

        def write(c):  # no primary key on a lake: delete, then insert
            c.execute(f"delete from {table} where {names[0]} = ${names[0]}", {names[0]: row[names[0]]})
            c.execute(f"insert into {table} ({columns}) values ({values})", row)

        if cur is not None:  # inside the caller's transaction
            write(cur)
        else:
            self.transact(write, table)

    def record_events(self, events: list[Event], expected: dict[int, int] | None = None) -> int:
        """Append changes to the audit trail; returns how many were written. With `expected` (incident id →
        the version the operator acted on), raise StaleVersion unless each incident is still at it, checked
        inside the writing transaction: on a lake, a replica whose commit was refused because another
        replica wrote first checks again before its replay."""
        if not events:
            return 0
        frame = pd.DataFrame(
            {
                "incident_id": [e.incident_id for e in events],
                "actor": [e.actor for e in events],
                "field": [e.field for e in events],
                "from_value": [e.from_value for e in events],
                "to_value": [e.to_value for e in events],
                "reason": [e.reason for e in events],
            }
        )
        at = dt.datetime.now(dt.UTC).replace(tzinfo=None)

        def write(cur):
            if expected:
                now = dict(cur.execute(
                    "select incident_id, max(event_id) from main.status_events "
                    "where list_contains($ids, incident_id) group by incident_id",
                    {"ids": [int(i) for i in expected]}).fetchall())
                for incident_id, version in expected.items():
                    if now.get(incident_id, 0) != version:
                        raise StaleVersion(incident_id)
            # Reserve the ids first and assign them in list order: nextval() inside INSERT … SELECT does
            # not follow the frame's row order, and the latest event of a field must be the last given.
            # The ids, the events and the refreshed cache commit together (a lake replays all three).
            rows = frame.assign(event_id=self.next_ids("event_seq", len(frame), cur))
            cur.register("new_events", rows)
            try:
                cur.execute(
                    """
                    insert into status_events
                    select event_id, incident_id, $at, actor, field, from_value, to_value, reason
                    from new_events
                    """,
                    {"at": at},
                )
            finally:
                cur.unregister("new_events")
            self.refresh_current(cur=cur)

        with self.write_lock:
            self.transact(write, "events")
            self.bump(refreshed=True)  # inside the lock: the next action must see this one's result
        return len(events)

    # -- maintenance -----------------------------------------------------------------------------
    def compact(self, keep: str = "1 day"):
        """Merge small files and expire snapshots older than `keep` on a lake (vigie.lake.compact); a
        checkpoint of the single file. Rows are never deleted: the audit trail stays whole."""
        if self.lake:
            return lake.compact(self.con, keep)
        with self.write_lock:
            self.con.execute("checkpoint")
        return None

    def close(self) -> None:
        self.con.close()


def _state_digest() -> str:
    """Fingerprint of the state definition that main.incident_current caches."""
    return hashlib.sha256((SCHEMA_DIR / "state.sql").read_bytes()).hexdigest()[:16]
