"""Profiling helpers for the benchmark: where ingest and queries spend their time.

    python -m bench.profile ingest --rows 100000 [--files K] [--existing 1000000 | --from-home DIR] [--cprofile]
    python -m bench.profile query --home bench/out/state-1000000 [--role operator] [NAME ...]

`ingest` times every SQL statement of one file's transaction (through a timing cursor proxy) and,
with --cprofile, prints the top Python functions. `query` prints DuckDB's EXPLAIN ANALYZE of each query
with the default filters, for a state folder that `bench.run` built (the server must not be running).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import re
import shutil
import threading
import time
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


# Prefix of the statements' keys while a wrapped stage runs (see bench.run.stage_timer), so that
# the SQL of a stage can be told from the rest; per thread (the inbox prepares a file in a worker).
SQL_PREFIX = threading.local()


class TimingCursor:
    """Delegates to a DuckDB cursor and adds up the wall time of each statement, by its first words."""

    def __init__(self, cur, totals: dict):
        self._cur = cur
        self._totals = totals

    def execute(self, query, *args, **kwargs):
        key = getattr(SQL_PREFIX, "value", "") + re.sub(r"\s+", " ", query).strip()[:70]
        start = time.perf_counter()
        try:
            return self._cur.execute(query, *args, **kwargs)
        finally:
            self._totals[key] += time.perf_counter() - start

    def __getattr__(self, name):
        return getattr(self._cur, name)


def instrument(store) -> dict:
    """Make `store.raw_cursor()` hand out timing cursors; returns the totals it fills."""
    totals: dict[str, float] = defaultdict(float)
    original = store.raw_cursor
    store.raw_cursor = lambda: TimingCursor(original(), totals)  # type: ignore[method-assign]
    return totals


def query_profile(store, role: str, query, params: dict, top: int = 6, party: str | None = None) -> dict:
    """DuckDB's own profile of one run of `query`: its latency and its most expensive operators."""
    import json

    cur = store.cursor(role, party)
    try:
        cur.execute("set enable_profiling = 'no_output'")
        cur.execute(query.sql, params).fetchall()
        tree = json.loads(cur.get_profiling_information(format="json"))
    finally:
        cur.close()
    operators = []

    def walk(node: dict) -> None:
        extra = node.get("extra_info") if isinstance(node.get("extra_info"), dict) else {}
        name = node.get("operator_name") or node.get("operator_type")
        if name:
            operators.append({"operator": name.strip(), "seconds": float(node.get("operator_timing") or 0),
                              "rows": node.get("operator_cardinality"), "table": extra.get("Table", "")})
        for child in node.get("children", []):
            walk(child)

    walk(tree)
    operators.sort(key=lambda op: -op["seconds"])
    return {"latency": tree.get("latency"), "cpu_time": tree.get("cpu_time"), "operators": operators[:top]}


def profile_ingest(rows: int, existing: int, use_cprofile: bool, work: Path, from_home: Path | None = None,
                   files: int = 1) -> None:
    from bench import gen
    from tests.conftest import make_settings
    from vigie.geo import load_pack
    from vigie.ingest.inbox import drop_bytes, process_inbox
    from vigie.store import Store

    pack = load_pack("benin")
    home = work / "profile-ingest"
    shutil.rmtree(home, ignore_errors=True)
    if from_home:  # a copy of a state folder that bench.run built (e.g. the 1,000,000-incident one)
        home.mkdir(parents=True)
        shutil.copy2(from_home / "vigie.duckdb", home / "vigie.duckdb")
        if (from_home / "vigie.duckdb.wal").exists():
            shutil.copy2(from_home / "vigie.duckdb.wal", home / "vigie.duckdb.wal")
    settings = make_settings(home)
    settings.ensure_dirs()
    store = Store.open(settings)
    try:
        if existing:
            data = gen.generate(pack, existing, seed=7, id_prefix="EX")
            for path in gen.write_files(data.table, work / "profile-files", 100_000, "existing"):
                drop_bytes(settings.inbox, path.read_bytes(), path.name)
            t = time.perf_counter()
            process_inbox(store, settings)
            print(f"preloaded {existing} reports in {time.perf_counter() - t:.1f} s")
        data = gen.generate(pack, rows * files, seed=4343, id_prefix="PR")  # not the data already stored
        # A first file warms the caches (imports, database pages) and is not profiled.
        drop_bytes(settings.inbox, gen.csv_bytes(gen.generate(pack, 100, seed=41, id_prefix="WU").table), "warm.csv")
        process_inbox(store, settings)
        for k in range(files):
            drop_bytes(settings.inbox, gen.csv_bytes(data.table.slice(k * (data.n_rows // files), data.n_rows // files)),
                       f"profiled-{k + 1:03d}.csv")
        totals = instrument(store)
        profiler = cProfile.Profile()
        start = time.perf_counter()
        if use_cprofile:
            profiler.enable()
        results = process_inbox(store, settings)
        if use_cprofile:
            profiler.disable()
        elapsed = time.perf_counter() - start
    finally:
        store.close()
    print(f"{data.n_rows} rows in {files} file(s), {elapsed:.2f} s = {data.n_rows / elapsed:,.0f} rows/s; "
          + "; ".join(r.summary() for r in results[:3]))
    print(f"\nSQL statements ({sum(totals.values()):.2f} s in all):")
    for key, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds * 1000:8.0f} ms  {key}")
    if use_cprofile:
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(45)
        print(buffer.getvalue())


def explain_queries(home: Path, role: str, names: list[str]) -> None:
    from tests.conftest import make_settings
    from vigie import sql
    from vigie.filters import from_query_params
    from vigie.store import Store

    store = Store.open(make_settings(home))
    try:
        params = from_query_params({}, store.pack).params()
        extra = {"limit": 50, "bucket": "day", "now": None}
        # The daily report's queries: the latest day with incidents, and its bounds in UTC.
        day = store.raw_cursor().execute("select cast(max(occurred_local) as date) from main.incidents").fetchone()[0]
        if day is not None:
            start = dt.datetime.combine(day, dt.time()) - dt.timedelta(hours=store.pack.utc_offset_hours)
            extra |= {"day": day, "utc_from": start, "utc_to": start + dt.timedelta(days=1)}
        for name in names or sql.names():
            query = sql.load(name)
            if role not in query.roles:
                continue
            p = {k: v for k, v in {**params, **extra}.items() if k in query.params}
            if "now" in p:
                p["now"] = sql.run(store, role, "data_clock")["latest"].iloc[0].to_pydatetime()
            cur = store.cursor(role)
            start = time.perf_counter()
            cur.execute(query.sql, p).fetchall()
            elapsed = time.perf_counter() - start
            plan = cur.execute("explain analyze " + query.sql, p).fetchall()
            print(f"===== {name} ({role}): {elapsed * 1000:.0f} ms")
            print(plan[0][1])
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.profile")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("ingest")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--existing", type=int, default=0, help="reports already in the store before the profiled file")
    p.add_argument("--cprofile", action="store_true")
    p.add_argument("--from-home", type=Path, help="profile into a copy of this state folder")
    p.add_argument("--files", type=int, default=1, help="files of --rows rows each, profiled together")
    p = sub.add_parser("query")
    p.add_argument("--home", type=Path, required=True)
    p.add_argument("--role", default="operator")
    p.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    if args.what == "ingest":
        profile_ingest(args.rows, args.existing, args.cprofile, OUT, args.from_home, args.files)
    else:
        explain_queries(args.home, args.role, args.names)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
