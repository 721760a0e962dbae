"""Section 10 of `make bench`: the DuckLake backend beside the single-file figures of the same run.

The parts are started here as the tests start them (tests/lake_fixtures.py): Debian's PostgreSQL 15 as
the catalog, and the data files in a local folder (an S3 server on loopback, moto, keeps every object in
its memory: not a fair place for a million incidents' Parquet files). Measured:
- loading the lake: the file store's tables copied into it (Arrow batches), and the real ingest path
  (inbox → process_inbox) on bulk files;
- the page queries on the lake (median, p95), for the operator and the journalist, no filter;
- the visibility delay: small files dropped into a real `python -m vigie ingestd`'s inbox, until a
  replica store (its own DuckDB instance over the lake) counts their reports.
- N concurrent viewer sessions (bench/load.py: Streamlit's own protocol, a signed journalist cookie)
  against 1, then 2 `python -m vigie serve --replica` processes over the lake: page p95, the ratio.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE_QUERIES = ("overview_kpis", "map_by_commune", "timeline", "latest_incidents", "triage_queue",
                "incident_search", "report_by_area")
NOT_COPIED = {"communes", "departements", "meta", "schema_version", "incident_current", "refresh_ids"}


@contextlib.contextmanager
def _env(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _copy(source_store, lake_store) -> int:
    """Every table of the file store into the lake, in Arrow batches; the rows copied."""
    source = source_store.raw_cursor()
    tables = [r[0] for r in source.execute(
        "select table_name from duckdb_tables() where schema_name = 'main' and database_name = current_database()"
    ).fetchall() if r[0] not in NOT_COPIED and not r[0].endswith("_seq")]
    total = 0

    def write(cur):
        nonlocal total
        for table in tables:  # names from our own catalog, never input; identifiers cannot be bound
            reader = source.execute(f"select * from main.{table}").to_arrow_reader(200_000)
            for batch in reader:
                cur.register("copied", batch)
                cur.execute(f"insert into main.{table} select * from copied")
                cur.unregister("copied")
                total += batch.num_rows
        # The lake's counters start where the file's sequences are.
        for name, last in source.execute(
                "select sequence_name, coalesce(last_value, 0) from duckdb_sequences()").fetchall():
            cur.execute(f"update {name} set last_id = $v", {"v": last})  # the lake's counter table of that name
        lake_store.refresh_current(full=True, cur=cur)

    lake_store.transact(write, "bench")
    return total


def step_lake(cfg, report, settings, files, helpers) -> None:
    """`helpers`: bench.run's (log, median, p95, timed_runs, query_params, filter_variants, report_day_params,
    settings_for)."""
    from tests.lake_fixtures import start_postgres
    from vigie import lake, sql
    from vigie.ingest.inbox import drop_file, process_inbox
    from vigie.store import Store

    log, median, p95, timed_runs, query_params, filter_variants, report_day_params, settings_for = helpers
    sec = "lake"
    try:
        pg, stop_pg = start_postgres()
    except BaseException as exc:  # pytest.skip outside pytest: PostgreSQL missing
        report.note(sec, f"DuckLake section skipped: {exc}")
        return
    try:
        db = pg.create_database("bench")
        data = cfg.work / f"lake-{cfg.incidents}"
        import shutil

        for folder in (data, *(cfg.work / f"state-lake{kind}-{cfg.incidents}" for kind in ("", "-ingest", "-ingestd"))):
            shutil.rmtree(folder, ignore_errors=True)  # each run starts from nothing
        env = {"VIGIE_LAKE_CATALOG": pg.dsn(db), "VIGIE_LAKE_DATA": str(data / "files") + "/"}
        source = Store.open(settings)  # the single file: opened before the lake's variables are set
        with _env(env):
            lake_settings = settings_for(cfg.work / f"state-lake-{cfg.incidents}")
            lake_settings.ensure_dirs()
            start = time.perf_counter()
            store = Store.open(lake_settings)
            report.add(sec, item="open a fresh lake (schema, views, communes)", value=time.perf_counter() - start,
                       unit="s")
            try:
                log("lake: copying the file store")
                start = time.perf_counter()
                rows = _copy(source, store)
                seconds = time.perf_counter() - start
                report.add(sec, item=f"load the lake: the file store's {rows:,} rows copied (one transaction)",
                           value=rows / seconds, unit="rows/s", detail=f"{seconds:.1f} s")
                incidents = store.raw_cursor().execute("select count(*) from incidents").fetchone()[0]
                report.add(sec, item="incidents in the lake", value=incidents, unit="")
                variants = filter_variants(store.pack)
                count = "select count(*) from incidents"
                for role in ("operator", "journalist"):
                    same = store.cursor(role).execute(count).fetchone() == source.cursor(role).execute(count).fetchone()
                    report.add(sec, item=f"incidents the {role} sees: the same on both backends",
                               value=store.cursor(role).execute(count).fetchone()[0], unit="", ok=same)
                    latest = store.cursor(role).execute(
                        "select incident_id from incidents order by occurred_local desc limit 1").fetchone()
                    context = {"now": sql.run(store, role, "data_clock")["latest"].iloc[0].to_pydatetime(),
                               "incident_id": latest[0] if latest else 1, **report_day_params(store)}
                    for name in PAGE_QUERIES:
                        query = sql.load(name)
                        if role not in query.roles:
                            continue
                        params = query_params(query, variants[0][1], context)
                        _, file_times = timed_runs(source, role, name, params, cfg.repeat)
                        n, times = timed_runs(store, role, name, params, cfg.repeat)
                        report.add(sec, item=f"query `{name}` ({role}, no filter)", value=p95(times), unit="s p95",
                                   detail=f"median {median(times) * 1000:.0f} ms, {n:,} rows; single file p95 "
                                          f"{p95(file_times) * 1000:.0f} ms", ok=p95(times) <= 0.150)
                    log(f"lake queries ({role}): done")
            finally:
                source.close()
            # The real ingest path into the lake: bulk files (at most two, or the tail files in a smoke run).
            bulk = (files.bulk[:2] or files.tail[:2])
            if bulk:
                # A lake of its own: the copy above already holds these files (their digests are in ingest_log).
                fresh = {"VIGIE_LAKE_CATALOG": pg.dsn(pg.create_database("bench_ingest")),
                         "VIGIE_LAKE_DATA": str(data / "ingest-files") + "/"}
                with _env(fresh):
                    ingest_store = Store.open(settings_for(cfg.work / f"state-lake-ingest-{cfg.incidents}"))
                for path in bulk:
                    drop_file(ingest_store.settings.inbox, path, None)
                start = time.perf_counter()
                results = process_inbox(ingest_store, ingest_store.settings)
                seconds = time.perf_counter() - start
                received = sum(r.received for r in results)
                report.add(sec, item=f"bulk ingest into the lake, {len(results)} file(s), real path",
                           value=received / seconds, unit="reports/s", detail=f"{received:,} reports, {seconds:.1f} s")
                ingest_store.close()
            store.close()
            _visibility(cfg, report, env, lake_settings, helpers)
            _viewers(cfg, report, env, helpers)
            report.note(sec, f"conflicts replayed in this process: {dict(lake.CONFLICTS) or 'none'}")
            report.note(sec, "Data files in a local folder; the catalog in PostgreSQL 15 on loopback.")
    finally:
        stop_pg()


def _visibility(cfg, report, env, lake_settings, helpers) -> None:
    """Small files into a real ingestd's inbox; delay until a replica counts their reports."""
    from bench import gen
    from vigie.ingest.inbox import drop_bytes
    from vigie.store import Store

    log, median, p95, *_rest, settings_for = helpers
    sec = "lake"
    home = cfg.work / f"state-lake-ingestd-{cfg.incidents}"
    daemon_env = {**os.environ, **env, "VIGIE_HOME": str(home), "VIGIE_PACK": "benin", "VIGIE_CLOCK": "data",
                  "VIGIE_USERS": str(ROOT / "tests" / "fixtures" / "users.toml"), "VIGIE_ALERT_SECONDS": "0",
                  "VIGIE_COMPACT_MINUTES": "0"}
    home.mkdir(parents=True, exist_ok=True)
    log_file = open(cfg.work / "lake-ingestd.log", "ab")
    daemon = subprocess.Popen([sys.executable, "-m", "vigie", "ingestd", "--webhook-port", "0"], cwd=ROOT,
                              env=daemon_env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        with _env(env):
            replica = Store.open(lake_settings, replica=True, wait=120)
            time.sleep(2)  # the daemon's start (migrations already there)
            from vigie.geo import load_pack

            n_files = 5 if cfg.smoke else 20
            delays = []
            for k in range(n_files):
                # 50 reports of their own (ids VISB<k>-…), dropped one file at a time, two a second at most.
                part = gen.generate(load_pack("benin"), 50, seed=100 + k, duplicate_rate=0.0, id_prefix=f"VISB{k}")
                dropped = time.perf_counter()
                drop_bytes(home / "inbox", gen.csv_bytes(part.table), f"vis-{k}.csv", source="bench")
                deadline = dropped + 60
                while time.perf_counter() < deadline:
                    n = replica.raw_cursor().execute(
                        "select count(*) from reports where source_ref like $p", {"p": f"VISB{k}-%"}).fetchone()[0]
                    if n:
                        break
                    time.sleep(0.05)
                delays.append(time.perf_counter() - dropped)
                time.sleep(0.5)
            replica.close()
        report.add(sec, item=f"visibility delay, {n_files} small files → ingestd → a replica", value=p95(delays),
                   unit="s p95", detail=f"median {median(delays):.2f} s, max {max(delays):.2f} s",
                   ok=p95(delays) <= 5.0)
        log(f"lake visibility: p95 {p95(delays):.2f} s")
    finally:
        daemon.terminate()
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            daemon.kill()
        log_file.close()


SCENARIOS = (("clicking through", (0.5, 1.5)), ("reading", (5.0, 15.0)))  # seconds between a viewer's pages


def _viewers(cfg, report, env, helpers) -> None:
    """N journalist sessions against 1, then 2 replica processes, in two scenarios (SCENARIOS); each replica
    is first opened once per page by a single viewer (its caches cold), then the N arrive over two seconds."""
    import secrets

    from bench import load

    log, median, p95, *_rest = helpers
    sec = "lake"
    sessions, pages_each = (5, 2) if cfg.smoke else (50, 4)
    secret = secrets.token_urlsafe(32)
    replica_env = {**os.environ, **env, "VIGIE_PACK": "benin", "VIGIE_CLOCK": "data", "VIGIE_SESSION_SECRET": secret,
                   "VIGIE_USERS": str(ROOT / "tests" / "fixtures" / "users.toml")}
    cookie = load.journalist_cookie(secret)
    p95s: dict[tuple[str, int], float] = {}
    for count in (1, 2):
        replicas = load.Replicas(cfg.work / f"load-{count}", replica_env, count)
        try:
            start = time.perf_counter()
            replicas.wait_healthy()
            started = time.perf_counter() - start
            first = load.Outcome()
            for port in replicas.ports:  # every page once, alone: the cold caches
                alone = load.run_viewers([port], cookie, 1, len(load.PAGES), ramp=0, think=(0, 0))
                first.times += alone.times
                first.failed += alone.failed
            runs = []
            for scenario, think in SCENARIOS:
                think = tuple(t / 10 for t in think) if cfg.smoke else think  # the smoke run only has to run
                log(f"load test: {count} replica(s), {sessions} viewers, {scenario}")
                runs.append((scenario, think, load.run_viewers(replicas.ports, cookie, sessions, pages_each,
                                                               think=think)))
            rss = replicas.rss()
        finally:
            replicas.stop()
        for scenario, think, outcome in runs:
            times = outcome.times or [float("inf")]
            p95s[scenario, count] = p95(times)
            detail = (f"median {median(times):.2f} s, {outcome.pages} pages, {len(outcome.failed)} failed, "
                      f"{outcome.pages / outcome.seconds:.1f} pages/s; each replica alone, cold: p95 "
                      f"{p95(first.times or [0]):.2f} s; started in {started:.0f} s; RSS "
                      f"{', '.join(f'{b / 1e6:,.0f} MB' for b in rss)}")
            if outcome.failed or first.failed:
                detail += f"; first failure: {(first.failed or outcome.failed)[0]}"
            report.add(sec, item=f"{sessions} concurrent viewers (journalist, {pages_each} pages each, {scenario}: "
                                 f"{think[0]:g}–{think[1]:g} s between pages), {count} replica(s)",
                       value=p95s[scenario, count], unit="s page p95", detail=detail,
                       ok=not outcome.failed and not first.failed and p95s[scenario, count] <= 2.0)
    for scenario, _think in SCENARIOS:
        report.add(sec, item=f"page p95, 1 replica / 2 replicas ({scenario})",
                   value=p95s[scenario, 1] / p95s[scenario, 2], unit="×", detail="above 1: the second replica helps")
    report.note(sec, f"Viewers: {sessions} WebSocket sessions speaking Streamlit's protocol (bench/load.py), each "
                     "with a signed journalist cookie, sticky to a replica, arriving over 2 s, opening the overview, "
                     "map, timeline and incident pages in turn; the load generator runs on the same cores as the "
                     "replicas. No ingest meanwhile: caches stay valid, so each replica's first view of each page "
                     "is the only cold one.")


def render(section: dict, ms) -> list[str]:
    lines = ["", "## 10. DuckLake (PostgreSQL catalog, Parquet files; same run, same data)", ""]
    rows = []
    for r in section.get("rows", []):
        value = r["value"]
        unit = r.get("unit", "")
        shown = (ms(value) if unit == "s p95" else f"{value:,.2f} s" if unit in ("s", "s page p95")
                 else f"{value:,.2f} ×" if unit == "×" else f"{value:,.0f} {unit}".strip())
        ok = r.get("ok")
        rows.append([r["item"], shown, r.get("detail", ""), "" if ok is None else ("ok" if ok else "MISSED")])
    lines += ["| measure | value | detail | result |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    lines += [""] + [f"- {n}" for n in section.get("notes", [])]
    return lines

