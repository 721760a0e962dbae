"""The one owner of the DuckDB file: connection, schema migrations, role-scoped cursors, writes.

Only the Streamlit server process opens the database (DuckDB allows a single writer process); other
processes reach it through the inbox. Inside the server there is one connection, a fresh cursor per
query or thread, and one lock around writes so the ingest thread and operators' actions queue up
instead of conflicting. Only this module knows which backend it talks to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import duckdb_extensions
import pandas as pd

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


def connect(path: Path, extension_dir: Path) -> duckdb.DuckDBPyConnection:
    """Open the database with the spatial extension loaded from the pinned PyPI package (offline)."""
    try:
        con = duckdb.connect(str(path))
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


class Store:
    def __init__(self, con: duckdb.DuckDBPyConnection, pack: Pack, settings: Settings | None = None):
        self.con = con
        self.pack = pack
        self.settings = settings
        self.write_lock = threading.RLock()
        self._version = 0
        self._version_lock = threading.Lock()

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings) -> "Store":
        settings.ensure_dirs()
        con = connect(settings.db_path, settings.extension_dir)
        store = cls(con, load_pack(settings.pack), settings)
        store.migrate()
        return store

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
                con.execute(path.read_text(encoding="utf-8"))
                con.execute("insert into schema_version values ($v, now())", {"v": version})
                con.execute("commit")
            self._create_state_views()
            rebuild = self._ensure_current_table()
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
                con.execute("insert or replace into meta values ('state_definition', $digest)",
                            {"digest": _state_digest()})

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
        cur = self.con.cursor()
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
        with self.write_lock:
            own = cur is None
            cur = self.raw_cursor() if own else cur
            if own:
                cur.execute("begin")
            try:
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
                cur.execute("""insert or replace into meta
                               select 'current_event_id', cast(coalesce(max(event_id), 0) as varchar)
                               from main.status_events
                               union all
                               select 'current_report_id', cast(coalesce(max(report_id), 0) as varchar)
                               from main.reports
                               union all
                               select 'current_move_id', cast(coalesce(max(move_id), 0) as varchar)
                               from main.report_moves""")
                if own:
                    cur.execute("commit")
            except Exception:
                if own:
                    cur.execute("rollback")
                raise

    def _load_geography(self) -> bool:
        """Load the country pack's communes, once per pack (a change of pack reloads them); True when
        they were (re)loaded."""
        row = self.con.execute("select value from meta where key = 'pack'").fetchone()
        if row and row[0] == self.pack.id:
            return False
        communes = self.pack.communes.copy()
        communes["wkt"] = [g.wkt for g in self.pack.geometries]
        cur = self.con.cursor()
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
        cur.execute("insert or replace into meta values ('pack', $p)", {"p": self.pack.id})
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
        cur = self.con.cursor()
        cur.execute("set search_path = $scope", {"scope": SCOPES[role]})
        if role == "party":
            cur.execute("set variable vigie_party = $party", {"party": party.strip()})
        return cur

    def raw_cursor(self) -> duckdb.DuckDBPyConnection:
        """An unscoped cursor, for ingestion and administration code only (never for pages)."""
        return self.con.cursor()

    @property
    def version(self) -> int:
        """Bumped after every committed write; cached query results are keyed on it."""
        return self._version

    def bump(self, refreshed: bool = False) -> int:
        """After every committed write: refresh the current-state cache (unless the write did it inside its
        own transaction), then invalidate cached results."""
        if not refreshed:
            self.refresh_current()
        with self._version_lock:
            self._version += 1
            return self._version

    # -- writing -------------------------------------------------------------------------------
    # Every write outside ingest goes through next_ids / replace_row / insert-only rows, so that a
    # backend without sequences or upserts on shared tables (DuckLake) can implement them in one place.
    def next_ids(self, sequence: str, n: int = 1, cur: duckdb.DuckDBPyConnection | None = None) -> list[int]:
        """Reserve `n` ascending ids from `sequence` (a name from schema/, never from input)."""
        if n <= 0:
            return []
        cur = cur or self.raw_cursor()
        rows = cur.execute(f"select nextval('{sequence}') from range($n)", {"n": n}).fetchall()
        return sorted(r[0] for r in rows)

    def replace_row(self, table: str, row: dict, cur: duckdb.DuckDBPyConnection | None = None) -> None:
        """Insert `row` into a local key/value table (meta, settings), replacing the row with its key.
        Table and column names come from code, values are bound."""
        cur = cur or self.raw_cursor()
        names = list(row)
        cur.execute(
            f"insert or replace into {table} ({', '.join(names)}) values ({', '.join('$' + n for n in names)})",
            row,
        )

    def record_events(self, events: list[Event]) -> int:
        """Append changes to the audit trail; returns how many were written."""
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
        with self.write_lock:
            cur = self.raw_cursor()
            # Reserve the ids first and assign them in list order: nextval() inside INSERT … SELECT does
            # not follow the frame's row order, and the latest event of a field must be the last given.
            ids = self.next_ids("event_seq", len(frame), cur)
            frame.insert(0, "event_id", ids)
            cur.register("new_events", frame)
            cur.execute(
                """
                insert into status_events
                select event_id, incident_id, $at, actor, field, from_value, to_value, reason
                from new_events
                """,
                {"at": dt.datetime.now(dt.UTC).replace(tzinfo=None)},
            )
            cur.unregister("new_events")
            self.bump()  # inside the lock: the next action must see this one's result
        return len(events)

    def close(self) -> None:
        self.con.close()


def _state_digest() -> str:
    """Fingerprint of the state definition that main.incident_current caches."""
    return hashlib.sha256((SCHEMA_DIR / "state.sql").read_bytes()).hexdigest()[:16]
