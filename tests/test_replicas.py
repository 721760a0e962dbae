"""Beyond one machine, with real parts: a PostgreSQL catalog, an S3-compatible server, one
`python -m vigie ingestd` process and two app replicas (stores opened with replica=True, each its own
DuckDB instance over the same lake, as each Streamlit replica process opens one)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.fixture_data import PII_MARKERS, fixture_rows, rows_to_csv
from tests.lake_fixtures import every_param, postgres, s3  # noqa: F401  (fixtures)
from vigie import lake, sql
from vigie.auth import User
from vigie.ingest.inbox import drop_bytes
from vigie.store import Event, Store
from vigie.workflow import Workflow

pytestmark = pytest.mark.e2e  # real servers and processes: tens of seconds
ROOT = Path(__file__).resolve().parent.parent
REPORTER_FIELDS = {"reporter_name", "reporter_phone", "reporter_contact", "raw"}


def wait_for(check, timeout: float, every: float = 0.05):
    """Poll `check` until it returns something true; that value, or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    return None


class Daemon:
    """`python -m vigie ingestd` in its own process, over the lake of `env`."""

    def __init__(self, home: Path, env: dict[str, str]):
        self.home = home
        self.env = {**os.environ, **env, "VIGIE_HOME": str(home), "VIGIE_PACK": "benin",
                    "VIGIE_USERS": str(ROOT / "tests" / "fixtures" / "users.toml"), "VIGIE_CLOCK": "data",
                    "VIGIE_ALERT_SECONDS": "0", "VIGIE_COMPACT_MINUTES": "0"}
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Daemon":
        self.log = open(self.home.parent / "ingestd.log", "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "vigie", "ingestd", "--webhook-port", "0"],
                                     cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


@pytest.fixture(scope="module")
def cluster(postgres, s3, tmp_path_factory):  # noqa: F811
    """(daemon, replica A, replica B, inbox) over a fresh lake."""
    db = postgres.create_database()
    env = {"VIGIE_LAKE_CATALOG": postgres.dsn(db), **s3.env(db)}
    home = tmp_path_factory.mktemp("ingestd") / "state"
    home.mkdir(parents=True)
    daemon = Daemon(home, env).start()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        try:
            # Replicas wait for the daemon to have migrated the lake (Store.open(replica=True)).
            replicas = [Store.open(make_settings(tmp_path_factory.mktemp(f"replica{k}") / "state"), replica=True,
                                   wait=90) for k in (1, 2)]
            yield daemon, replicas[0], replicas[1], home / "inbox"
            for replica in replicas:
                replica.close()
        finally:
            daemon.stop()


def n_reports(store: Store, prefix: str) -> int:
    return store.raw_cursor().execute("select count(*) from reports where source_ref like $p",
                                      {"p": prefix + "%"}).fetchone()[0]


def test_a_report_dropped_in_the_inbox_is_seen_by_both_replicas_within_5_s(cluster):
    _daemon, a, b, inbox = cluster
    rows = [dict(r, id=f"VIS-{k}") for k, r in enumerate(fixture_rows(n=20))]
    dropped = time.monotonic()
    drop_bytes(inbox, rows_to_csv(rows), "visible.csv", source="terrain")
    seen = {}
    for name, replica in (("a", a), ("b", b)):
        assert wait_for(lambda: n_reports(replica, "VIS-") == 20, timeout=30), name
        seen[name] = time.monotonic() - dropped
    print(f"visibility delay: {seen}")
    assert max(seen.values()) < 5.0, seen


def test_an_action_in_one_replica_is_seen_in_the_other(cluster):
    _daemon, a, b, _inbox = cluster
    assert wait_for(lambda: n_reports(a, "VIS-") == 20, timeout=30)
    incident = a.raw_cursor().execute(
        "select min(incident_id) from reports where source_ref like 'VIS-%'").fetchone()[0]
    operator = User("op", "Opératrice", "operator", "")
    flow = Workflow(a)
    version = flow.states([incident])[incident].version
    before_b = b.version
    flow.set_status(operator, {incident: version}, "en_verification", "appel au témoin")
    query = "select status from incidents where incident_id = $i"
    got = wait_for(lambda: b.cursor("operator").execute(query, {"i": incident}).fetchone() == ("en_verification",),
                   timeout=5)
    assert got
    assert wait_for(lambda: b.version != before_b, timeout=2)  # B's cached pages are invalidated


def test_a_journalist_session_of_a_replica_receives_no_reporter_field(cluster):
    _daemon, a, b, _inbox = cluster
    assert wait_for(lambda: n_reports(b, "VIS-") == 20, timeout=30)
    values = every_param(b)
    for store in (a, b):
        received = set()
        for name in sql.names():
            query = sql.load(name)
            if "journalist" not in query.roles:
                continue
            frame = sql.run(store, "journalist", name, {k: v for k, v in values.items() if k in query.params})
            received |= set(frame.columns)
            assert PII_MARKERS[0] not in frame.astype(str).to_csv()
        assert received and received.isdisjoint(REPORTER_FIELDS)
        reports = store.cursor("journalist").execute("select * from reports").df()
        assert REPORTER_FIELDS.isdisjoint(reports.columns)


def test_concurrent_actions_in_two_replicas_and_an_ingest_lose_nothing(cluster):
    """Both replicas append events at once while the daemon ingests: DuckLake refuses some commits, the
    store replays them; every event is there once, with unique ids, and the cache shows the last."""
    _daemon, a, b, inbox = cluster
    assert wait_for(lambda: n_reports(a, "VIS-") == 20, timeout=30)
    incidents = [r[0] for r in a.raw_cursor().execute(
        "select distinct incident_id from reports where source_ref like 'VIS-%' order by 1").fetchall()]
    conflicts_before = sum(lake.CONFLICTS.values())
    errors = []

    def act(store: Store, unit: str):
        try:
            for k in range(15):
                store.record_events([Event(incidents[k % len(incidents)], "note", f"{unit}-{k}", unit)])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    rows = [dict(r, id=f"CONC-{k}") for k, r in enumerate(fixture_rows(n=50))]
    drop_bytes(inbox, rows_to_csv(rows), "concurrent.csv", source="terrain")
    started = time.monotonic()
    threads = [threading.Thread(target=act, args=(a, "ra")), threading.Thread(target=act, args=(b, "rb"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    elapsed = time.monotonic() - started
    assert not errors, errors
    notes = a.raw_cursor().execute(
        "select actor, count(*), count(distinct event_id) from status_events where field = 'note' "
        "and actor in ('ra', 'rb') group by actor order by actor").fetchall()
    assert notes == [("ra", 15, 15), ("rb", 15, 15)]
    assert a.raw_cursor().execute(
        "select count(*) = count(distinct event_id) from status_events").fetchone()[0]
    assert wait_for(lambda: n_reports(b, "CONC-") == 50, timeout=30)
    # The cache (incident_current) agrees with the audit trail it is made from.
    stale = b.raw_cursor().execute(
        """select count(*) from main.incident_state_live l join main.incident_current c using (incident_id)
           where l.version <> c.version or l.n_reports <> c.n_reports""").fetchone()[0]
    assert stale == 0
    print(f"30 actions from 2 replicas during an ingest: {elapsed:.2f} s, "
          f"{sum(lake.CONFLICTS.values()) - conflicts_before} conflicts replayed ({dict(lake.CONFLICTS)})")


def test_sigkill_of_the_daemon_mid_batch_loses_and_duplicates_nothing(cluster):
    """The daemon is killed while it ingests, at two moments, and started again: every report is there once.
    A replica reopened during the ingest serves again."""
    daemon, a, b, inbox = cluster
    n = 1500
    states = []
    for attempt, delay in enumerate((0.4, 1.5)):
        prefix = f"KILL{attempt}-"
        rows = [dict(r, id=f"{prefix}{k}") for k, r in enumerate(fixture_rows(n=n))]
        drop_bytes(inbox, rows_to_csv(rows), f"kill{attempt}.csv", source="terrain")
        time.sleep(delay)
        daemon.kill()
        # What the kill interrupted: nothing committed yet and the file still waiting (before or inside the
        # batch's transaction), or committed and maybe not yet moved.
        states.append((delay, n_reports(b, prefix), len(list(inbox.glob(f"*kill{attempt}*")))))
        daemon.start()
        # Meanwhile a replica is restarted: it opens on the lake as it is and serves.
        reopened = Store.open(make_settings(Path(a.settings.home)), replica=True, wait=60)
        assert reopened.cursor("journalist").execute("select count(*) from incidents").fetchone()[0] >= 0
        reopened.close()
        assert wait_for(lambda: n_reports(b, prefix) == n, timeout=120), (prefix, n_reports(b, prefix))
        distinct = b.raw_cursor().execute(
            "select count(distinct source_ref) from reports where source_ref like $p", {"p": prefix + "%"}).fetchone()[0]
        assert distinct == n
        done = b.raw_cursor().execute(
            "select count(*) from ingest_log where original_name = $f and status = 'done'",
            {"f": f"kill{attempt}.csv"}).fetchone()[0]
        assert done == 1
    assert not list(inbox.glob("*kill*"))  # moved out once committed
    print(f"killed at (delay s, reports committed, files left in the inbox): {states}")


def test_two_replicas_acting_on_one_version_of_an_incident_one_wins(cluster):
    """Two operators, on two replicas, change the same incident from the version both loaded: one action is
    written, the other is refused as a concurrent change (checked again inside the replayed commit)."""
    from vigie.workflow import ConcurrentChange

    _daemon, a, b, _inbox = cluster
    assert wait_for(lambda: n_reports(a, "VIS-") == 20, timeout=30)
    incident = a.raw_cursor().execute(
        "select max(incident_id) from reports where source_ref like 'VIS-%'").fetchone()[0]
    version = Workflow(a).states([incident])[incident].version
    assert wait_for(lambda: Workflow(b).states([incident]).get(incident) and
                    Workflow(b).states([incident])[incident].version == version, timeout=5)
    barrier = threading.Barrier(2)
    outcomes = {}

    def act(store: Store, name: str, status: str):
        flow = Workflow(store)
        barrier.wait()
        try:
            flow.set_status(User(name, name, "operator", ""), {incident: version}, status, "test")
            outcomes[name] = "written"
        except ConcurrentChange:
            outcomes[name] = "refused"

    threads = [threading.Thread(target=act, args=(a, "opa", "verifie")),
               threading.Thread(target=act, args=(b, "opb", "faux"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes.values()) == ["refused", "written"], outcomes
    winner = "verifie" if outcomes["opa"] == "written" else "faux"
    assert wait_for(lambda: b.cursor("operator").execute(
        "select status from incidents where incident_id = $i", {"i": incident}).fetchone() == (winner,), timeout=5)


@pytest.mark.parametrize("role", ["operator", "journalist"])
def test_the_app_runs_on_a_replica(cluster, role, monkeypatch):
    """The Streamlit app of `serve --replica` (AppTest, in this process): every page runs on the lake, with no
    writer of its own; a journalist's pages show no reporter's name."""
    from tests.test_pages import all_text, logged_in
    from vigie.ui import data

    _daemon, a, _b, _inbox = cluster
    assert wait_for(lambda: n_reports(a, "VIS-") == 20, timeout=30)
    monkeypatch.setenv("VIGIE_REPLICA", "1")
    monkeypatch.setenv("VIGIE_HOME", str(a.settings.home))
    monkeypatch.setenv("VIGIE_USERS", str(ROOT / "tests" / "fixtures" / "users.toml"))
    monkeypatch.setenv("VIGIE_CLOCK", "data")
    data.get_store.clear()
    try:
        pages = ["pages/overview.py", "pages/incidents.py", "pages/map.py", "pages/timeline.py"]
        if role == "operator":
            pages += ["pages/triage.py", "pages/sources.py"]
        for page in pages:
            at = logged_in(role, page)
            assert not at.exception, (page, at.exception)
            if role == "journalist":
                assert PII_MARKERS[0] not in all_text(at), page
        store = data.get_store()
        assert getattr(store, "watcher", None) is None  # a replica runs no background writer
    finally:
        data.get_store.clear()


def test_serve_replica_starts_a_streamlit_process_on_the_lake(cluster):
    """`python -m vigie serve --replica` as its own process answers Streamlit's health check."""
    import urllib.request

    from tests.lake_fixtures import free_port

    daemon, _a, _b, _inbox = cluster
    port = free_port()
    home = daemon.home.parent / "replica-process" / "state"
    env = {**daemon.env, "VIGIE_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "vigie", "serve", "--replica", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        def healthy():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        assert wait_for(healthy, timeout=60, every=0.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
