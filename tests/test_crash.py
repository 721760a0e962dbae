"""Crash safety with real processes: SIGKILL in the middle of ingesting a large file, start again, and the
final state is the state of a run that never crashed (no loss, no duplicates, one 'done' row, the file
in processed/ once).

A worker process (tests/crash_worker.py) opens the store of a state folder and empties its inbox, as the
server's ingest thread does. It is killed at several points of one file's ingest, in the same state
folder one after the other, then run to the end; a second state folder gets the same file without a crash.
The kill points: two delays after the store is open (reading, validating, locating, writing: wherever the
worker happens to be), then two exact points where the worker waits to be killed: the rows written inside
the transaction but not committed, and the rows committed but the file not yet moved out of the inbox.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_settings
from vigie.geo import load_pack
from vigie.ingest.inbox import drop_bytes
from vigie.store import Store

ROOT = Path(__file__).resolve().parent.parent
ROWS = 60_000
NAME = "gros_fichier.csv"


def big_csv(n: int) -> bytes:
    """n reports over 77 communes and three months, a few with a category (grouping stays cheap), a few bad."""
    communes = load_pack("benin").communes["commune"].tolist()
    start = dt.datetime(2022, 11, 10)
    lines = ["id;date;commune;categorie;description"]
    for i in range(n):
        when = (start + dt.timedelta(minutes=i)).strftime("%d/%m/%Y %H:%M")
        category = "violence" if i % 20 == 0 else ""
        date = "32/13/2022" if i % 5000 == 17 else when  # some records for the quarantine
        ref = f"K{i - 1}" if i % 7000 == 3 else f"K{i}"  # and some duplicates
        lines.append(f"{ref};{date};{communes[i % 77]};{category};rapport numéro {i} de la commune")
    return ("\n".join(lines) + "\n").encode("utf-8")


def prepare(home: Path, data: bytes):
    """A state folder with its schema (checkpointed, no WAL left) and the file waiting in the inbox."""
    settings = make_settings(home)
    Store.open(settings).close()
    drop_bytes(settings.inbox, data, NAME)
    return settings


def start_worker(home: Path, pause: str | None = None) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "tests.crash_worker", str(home), *([pause] if pause else [])],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ouvert", proc.stderr.read()
    return proc


def run_and_kill(home: Path, when: str, timeout: float = 60.0) -> int:
    """Start a worker and SIGKILL it `when`: a delay after the store is open ("0.4s"), or where it pauses
    ("written", "committed"); its return code (-9 when killed)."""
    if when.endswith("s"):
        proc = start_worker(home)
        try:
            proc.wait(timeout=float(when[:-1]))
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
    else:
        proc = start_worker(home, when)
        # Blocks until the worker pauses (or ends without pausing: then its output is "fini").
        if proc.stdout.readline().strip() == "pause":
            os.kill(proc.pid, signal.SIGKILL)
    try:
        return proc.wait(timeout=timeout)
    finally:
        proc.stdout.close()
        proc.stderr.close()


def run_to_end(home: Path) -> str:
    proc = start_worker(home)
    # Read through the same buffered pipe as start_worker: communicate() reads the raw descriptor and
    # would miss what readline() already buffered (a fast run prints everything at once).
    out = proc.stdout.read()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, err
    proc.stdout.close()
    proc.stderr.close()
    return out


def state(home: Path) -> dict:
    """What a run leaves: rows (as fingerprints), logs and files; nothing that depends on the clock."""
    settings = make_settings(home)
    store = Store.open(settings)
    try:
        cur = store.raw_cursor()

        def one(sql: str):
            return cur.execute(sql).fetchone()

        return {
            "reports": one("select count(*), count(distinct report_id), count(distinct ref_key) from reports"),
            "refs": one("select md5(string_agg(source || '/' || source_ref, ',' order by source, source_ref)) "
                        "from reports"),
            "rows": one("""select md5(string_agg(concat_ws('|', report_id, incident_id, source, source_ref,
                                                           occurred_at, commune_code, category, description),
                                                 ',' order by report_id)) from reports"""),
            "incidents": one("select count(*), md5(string_agg(concat_ws('|', incident_id, commune_code, category), "
                             "',' order by incident_id)) from incidents"),
            "quarantine": one("select count(*), md5(string_agg(concat_ws('|', line_no, field, reason), ',' "
                              "order by line_no)) from quarantine"),
            "log": cur.execute("select original_name, status, n_received, n_accepted, n_duplicate, n_quarantined "
                               "from ingest_log order by seq").fetchall(),
            "leftovers": one("select count(*) from duckdb_tables() where not temporary "
                             "and table_name in ('staged', 'fresh', 'next_ids', 'new_rows')"),
            "inbox": sorted(p.name for p in settings.inbox.iterdir()),
            "processed": sorted(p.name for p in settings.processed.iterdir()),
            "failed": sorted(p.name for p in settings.failed.iterdir()),
        }
    finally:
        store.close()


@pytest.fixture(scope="module")
def data() -> bytes:
    return big_csv(ROWS)


def test_sigkill_while_ingesting_then_restart_equals_a_clean_run(tmp_path, data):
    clean_home = tmp_path / "sans-crash"
    prepare(clean_home, data)
    run_to_end(clean_home)
    clean = state(clean_home)
    [(name, status, received, accepted, duplicate, quarantined)] = clean["log"]
    assert (name, status, received) == (NAME, "done", ROWS)
    assert accepted > 0 and duplicate > 0 and quarantined > 0
    assert clean["inbox"] == [] and len(clean["processed"]) == 1

    home = tmp_path / "crash"
    settings = prepare(home, data)
    [dropped] = os.listdir(settings.inbox)
    interrupted = []
    for when in ("0.3s", "1.2s", "written", "committed"):
        code = run_and_kill(home, when)
        interrupted.append((when, code, (settings.inbox / dropped).exists()))
    # Every kill landed before the file left the inbox (the delays may catch the worker anywhere before).
    assert interrupted == [(when, -signal.SIGKILL, True) for when, _, _ in interrupted]
    run_to_end(home)
    crashed = state(home)

    assert crashed["inbox"] == [] and crashed["failed"] == []
    assert crashed["processed"] == [dropped]  # once
    assert crashed["leftovers"] == (0,)
    # The interrupted attempts left no row at all: one 'done' row with the counts of the clean run.
    assert crashed["log"] == clean["log"]
    reports, distinct_ids, distinct_refs = crashed["reports"]
    assert reports == distinct_ids == distinct_refs == clean["reports"][0]
    for key in ("refs", "rows", "incidents", "quarantine"):
        assert crashed[key] == clean[key], key


def test_a_killed_run_leaves_the_database_readable_and_nothing_committed(tmp_path):
    """Right after a SIGKILL in the middle of the writes, the database opens and holds nothing of the file."""
    home = tmp_path / "crash"
    settings = prepare(home, big_csv(30_000))
    assert run_and_kill(home, "written") == -signal.SIGKILL
    after = state(home)
    assert after["reports"] == (0, 0, 0) and after["log"] == [] and after["quarantine"][0] == 0
    assert len(after["inbox"]) == 1 and after["processed"] == []
    assert settings.inbox.exists()


def test_a_run_killed_after_its_commit_is_not_ingested_twice(tmp_path):
    """Committed but not moved: the restart recognises the file by its content and only moves it."""
    home = tmp_path / "crash"
    prepare(home, big_csv(20_000))
    assert run_and_kill(home, "committed") == -signal.SIGKILL
    before = state(home)
    assert before["log"][0][:3] == (NAME, "done", 20_000) and len(before["inbox"]) == 1
    out = run_to_end(home)
    assert "déjà traité" in out
    after = state(home)
    assert after["inbox"] == [] and after["processed"] == before["inbox"]
    for key in ("reports", "rows", "log", "quarantine"):
        assert after[key] == before[key], key
