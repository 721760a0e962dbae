"""Pull connectors against a real HTTP server on loopback that answers like the Ushahidi v5 posts API
and the KoBo API v2 data endpoint, with errors, timeouts and records that change while paging."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import threading
import time
import urllib.request
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from vigie import connectors, sql
from vigie.connectors.config import ConfigError, ConnectorConfig, load_config
from vigie.connectors.cursor import Cursor, parse_time
from vigie.ingest.inbox import pending, process_inbox
from vigie.store import Store

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "tok-3f9a1c-NE-PAS-JOURNALISER"
KOBO_UID = "aW9kQ3pXnR7sYvBt2LmE5c"  # form id of data/feeds/kobo/signalement_incident_2023.toml
T0 = dt.datetime(2023, 1, 5, 8, 0, tzinfo=dt.UTC)
COMMUNES = ["Cotonou", "Parakou", "Abomey-Calavi", "Djougou", "Porto-Novo", "Bohicon", "Natitingou", "Kandi"]


# -- the fake API server ----------------------------------------------------------------------------


class FakeApi:
    """In-memory posts and submissions, served in the documented shapes. `faults` holds what the next
    requests do instead of answering ("500", "timeout", "badjson", "401"; None answers normally);
    `after_request(n)` runs after the n-th answer, to change the data between two pages."""

    def __init__(self):
        self.posts: dict[int, int] = {}  # Ushahidi post id -> `updated` (Unix seconds)
        self.subs: dict[int, str] = {}  # KoBo _id -> _submission_time
        self.faults: deque = deque()
        self.log: list[dict] = []
        self.after_request = None
        self.sleep = 0.8
        self.ignore_filter = False  # answer as if updated_after were not there
        self.lock = threading.Lock()
        self.url = ""

    # Ushahidi: updated_after is strict, in whole seconds; order by updated (ties by id).
    def ushahidi(self, params: dict) -> tuple[dict, list]:
        after = params.get("updated_after")
        after_ts = int(parse_time(after).timestamp()) if after and not self.ignore_filter else None
        rows = sorted((ts, i) for i, ts in self.posts.items() if after_ts is None or ts > after_ts)
        page, limit = int(params.get("page", 1)), int(params.get("limit", 20))
        chunk = rows[(page - 1) * limit: page * limit]
        body = {
            "results": [post(i, ts) for ts, i in chunk],
            "count": len(chunk),
            "meta": {"current_page": page, "per_page": limit, "total": len(rows),
                     "last_page": max(1, math.ceil(len(rows) / limit))},
        }
        return body, [i for _, i in chunk]

    # KoBo: a MongoDB query on _submission_time (text), sort, start and limit.
    def kobo(self, params: dict) -> tuple[dict, list]:
        cond = json.loads(params["query"]).get("_submission_time", {}) if "query" in params else {}
        ops = {"$gte": lambda a, b: a >= b, "$gt": lambda a, b: a > b}
        rows = sorted((t, i) for i, t in self.subs.items() if all(ops[op](t, v) for op, v in cond.items()))
        assert json.loads(params["sort"]) == {"_submission_time": 1, "_id": 1}
        start, limit = int(params.get("start", 0)), int(params.get("limit", 100))
        chunk = rows[start: start + limit]
        more = start + limit < len(rows)
        body = {"count": len(rows), "next": f"http://kobo/next?start={start + limit}" if more else None,
                "previous": None, "results": [submission(i, t) for t, i in chunk]}
        return body, [i for _, i in chunk]


def post(i: int, ts: int) -> dict:
    commune = COMMUNES[i % len(COMMUNES)]
    updated = dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()
    return {
        "id": i, "form_id": 2, "type": "report", "status": "published", "locale": "fr_FR",
        "title": f"Signalement {i}",
        "content": f"Incident numéro {i} rapporté par le réseau d'observateurs à {commune}.",
        "post_date": "2023-01-05 07:30:00", "created": updated, "updated": updated,
        "post_content": [{"id": 5, "label": "Signalement", "fields": [
            {"id": 34, "key": "c7d2e9", "label": "Commune", "type": "varchar", "value": {"value": commune}},
        ]}],
    }


def submission(i: int, time_text: str) -> dict:
    return {
        "_id": i, "_uuid": f"0000-{i:04d}", "_xform_id_string": KOBO_UID, "_submission_time": time_text,
        "incident/date_incident": "2023-01-06", "incident/type_incident": "violence_physique",
        "incident/gravite": "grave", "incident/description": f"Soumission {i} : altercation devant le bureau n° {i}.",
        "lieu/commune": COMMUNES[i % len(COMMUNES)].lower(),
    }


def make_handler(api: FakeApi):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest output clean
            pass

        def do_GET(self):
            parts = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            with api.lock:
                entry = {"path": parts.path, "params": params, "auth": self.headers.get("Authorization"), "ids": []}
                api.log.append(entry)
                fault = api.faults.popleft() if api.faults else None
            if fault == "timeout":
                time.sleep(api.sleep)
                return self._send(504, b"{}")
            if fault == "500":
                return self._send(500, b'{"error": "Internal Server Error"}')
            if fault == "badjson":
                return self._send(200, b'{"results": [{"id": 1, "title": "tronqu')
            kobo = re.fullmatch(r"/api/v2/assets/([A-Za-z0-9]+)/data/", parts.path)
            expected = f"Token {TOKEN}" if kobo else f"Bearer {TOKEN}"
            if fault == "401" or entry["auth"] != expected:
                return self._send(401, b'{"detail": "Invalid token."}')
            with api.lock:
                if parts.path == "/api/v5/posts":
                    body, entry["ids"] = api.ushahidi(params)
                elif kobo and kobo.group(1) == KOBO_UID:
                    body, entry["ids"] = api.kobo(params)
                else:
                    return self._send(404, b'{"detail": "Not found."}')
                n = len(api.log)
            self._send(200, json.dumps(body).encode())
            if api.after_request:
                with api.lock:
                    api.after_request(n)

        def _send(self, status: int, body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout)

    return Handler


@pytest.fixture
def api(monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    fake = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


def ushahidi_config(url: str, **extra) -> ConnectorConfig:
    values = dict(name="ushahidi_test", kind="ushahidi", url=url, token_env="TEST_API_TOKEN", page_size=5,
                  timeout_seconds=0.3, backoff_seconds=30, backoff_max_seconds=100, interval_seconds=60)
    return ConnectorConfig(**{**values, **extra})


def kobo_config(url: str, **extra) -> ConnectorConfig:
    values = dict(name="kobo_test", kind="kobo", url=url, token_env="TEST_API_TOKEN", form=KOBO_UID,
                  mapping="signalement_incident_2023", page_size=4, timeout_seconds=0.3, interval_seconds=60)
    return ConnectorConfig(**{**values, **extra})


ENV = {"TEST_API_TOKEN": TOKEN}


def reports(store: Store, source: str) -> list[str]:
    rows = store.raw_cursor().execute(
        "select source_ref from reports where source = $s order by source_ref", {"s": source}).fetchall()
    return [r[0] for r in rows]


def ingest(store, settings) -> tuple[int, int, int]:
    results = process_inbox(store, settings)
    assert all(r.error is None for r in results)
    return (sum(r.accepted for r in results), sum(r.duplicate for r in results),
            sum(r.quarantined for r in results))


def state_row(store: Store, name: str) -> dict:
    frame = sql.run(store, "operator", "connector_state", {})
    return frame.set_index("name").loc[name].to_dict()


def ts(minutes: float) -> int:
    return int((T0 + dt.timedelta(minutes=minutes)).timestamp())


# -- Ushahidi: paging, a page that changes while paging, errors, backoff, restart ---------------------


def ushahidi_dataset(api: FakeApi) -> None:
    for i in range(1, 5):
        api.posts[i] = ts(i)
    for i in range(5, 12):  # seven posts in one second: more than a page, across a page boundary
        api.posts[i] = ts(10)
    for i in range(12, 24):
        api.posts[i] = ts(10 + i)


def naive_pages(url: str) -> set[int]:
    """What paging by page number alone would get: the control that shows the scenario bites."""
    seen: set[int] = set()
    for page in range(1, 20):
        request = urllib.request.Request(f"{url}/api/v5/posts?order=asc&orderby=updated&page={page}&limit=5",
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        results = json.loads(urllib.request.urlopen(request, timeout=2).read())["results"]
        seen |= {p["id"] for p in results}
        if len(results) < 5:
            return seen
    return seen


def mutate_while_paging(api: FakeApi, after_answer: int):
    def change(n: int) -> None:
        if n == after_answer:
            api.posts[2] = ts(60)  # an already-read post is edited: it moves to the end, later ones shift back
            api.posts[100] = ts(30.5)  # a new post lands among those not read yet
            api.posts[101] = ts(61)  # and one after everything
    return change


def test_naive_paging_loses_a_record_in_this_scenario(api):
    ushahidi_dataset(api)
    api.after_request = mutate_while_paging(api, after_answer=2)
    missing = set(api.posts) - naive_pages(api.url)
    assert missing  # offsets shifted under the naive client


def test_ushahidi_pull_errors_backoff_and_restart(api, settings, store, caplog):
    caplog.set_level(logging.DEBUG)
    ushahidi_dataset(api)
    api.after_request = mutate_while_paging(api, after_answer=2)
    connector = connectors.Connector(store, settings, ushahidi_config(api.url), environ=ENV)

    result = connector.run_once()
    assert result.error is None and result.delay == 60
    first = api.log[0]["params"]
    assert first["order"] == "asc" and first["orderby"] == "updated" and "updated_after" not in first
    assert all(e["auth"] == f"Bearer {TOKEN}" for e in api.log)
    # When the cursor moves, the next request starts again at page 1 from it; page 2 of the same query
    # only follows a page that left the cursor's second unchanged (seven posts share ts(10)).
    calls = [(e["params"].get("updated_after"), e["params"]["page"]) for e in api.log]
    assert all(page == "1" for (before, _), (after, page) in zip(calls, calls[1:]) if after != before)
    assert ("2023-01-05T08:09:59Z", "2") in calls
    accepted, duplicate, quarantined = ingest(store, settings)
    expected = sorted(str(i) for i in api.posts)
    assert reports(store, "ushahidi") == expected  # every post exactly once, the moved one included
    assert (accepted, quarantined) == (len(expected), 0)
    assert duplicate == 1  # post 2 came again after its edit: the ingest recognised it

    # Errors: the rest keeps going, each failure is stored and backed off (30 s doubling, at most 100 s).
    for i in range(200, 212):
        api.posts[i] = ts(100 + i)
    api.faults.extend([None, "500"])  # the first page passes, the second fails
    delays, errors = [], []
    for fault in (None, "timeout", "badjson", "401"):
        if fault:
            api.faults.append(fault)
        result = connector.run_once()
        row = state_row(store, "ushahidi_test")
        delays.append(result.delay)
        errors.append(row["last_error"])
        assert row["status"] == "erreur" and row["consecutive_failures"] == len(delays)
        waited = (row["next_run_at"] - row["last_run_at"]).total_seconds()
        assert waited == pytest.approx(result.delay, abs=1)
    assert delays == [30, 60, 100, 100]
    assert "HTTP 500" in errors[0]
    assert "délai dépassé" in errors[1]
    assert "JSON invalide" in errors[2]
    assert "HTTP 401" in errors[3]
    # The page before the 500 was kept: post 101 (at the cursor's second, already pulled) and four new ones.
    assert state_row(store, "ushahidi_test")["n_pulled"] == len(expected) + 1 + 4

    result = connector.run_once()
    row = state_row(store, "ushahidi_test")
    assert result.error is None and result.delay == 60
    assert row["status"] == "ok" and row["consecutive_failures"] == 0
    assert row["last_error"] == errors[3] and row["last_success_at"] > row["last_error_at"]
    ingest(store, settings)
    expected = sorted(str(i) for i in api.posts)
    assert reports(store, "ushahidi") == expected

    # Simulated restart: a new Store and a new connector continue from the stored cursor.
    cursor_time = row["cursor_time"]
    store.close()
    store2 = Store.open(settings)
    try:
        for i in (300, 301, 302):
            api.posts[i] = ts(500 + i)
        api.log.clear()
        result = connectors.Connector(store2, settings, ushahidi_config(api.url), environ=ENV).run_once()
        after = parse_time(api.log[0]["params"]["updated_after"]).replace(tzinfo=None)
        assert after == cursor_time - dt.timedelta(seconds=1)  # asks from the cursor's second, nothing older
        assert api.log[0]["ids"] == [211, 300, 301, 302]  # the post at the cursor's second, then new ones
        assert result.pulled == 3
        assert ingest(store2, settings) == (3, 0, 0)
        assert reports(store2, "ushahidi") == sorted(str(i) for i in api.posts)

        api.log.clear()  # nothing new: one request, no file
        result = connectors.Connector(store2, settings, ushahidi_config(api.url), environ=ENV).run_once()
        assert (result.pulled, result.pages, result.error) == (0, 1, None)
        assert pending(settings.inbox) == []

        # A server that ignores updated_after (some v5 versions apply strtotime to it twice): the page
        # at the cursor is found by galloping and halving, not by reading all eight pages of history.
        api.ignore_filter = True
        for i in (400, 401):
            api.posts[i] = ts(900 + i)
        result = connectors.Connector(store2, settings, ushahidi_config(api.url), environ=ENV).run_once()
        assert result.error is None and result.pulled == 2
        assert result.pages < len(api.posts) // 5
        assert ingest(store2, settings) == (2, 0, 0)
        assert reports(store2, "ushahidi") == sorted(str(i) for i in api.posts)
    finally:
        store2.close()

    # The token is sent in a header only: never logged, stored or written in a file.
    assert TOKEN not in caplog.text
    assert all(TOKEN not in p.read_text() for p in settings.processed.iterdir())
    assert not any(TOKEN in e["path"] or TOKEN in json.dumps(e["params"]) for e in api.log)


# -- KoBo ---------------------------------------------------------------------------------------------


def test_kobo_pull_pages_from_the_cursor(api, settings, store):
    # Submission times as KoBo writes them (UTC, no zone); three share a second across a page boundary.
    times = ["2023-01-06T14:35:12", "2023-01-06T14:36:00", "2023-01-06T14:37:30", "2023-01-06T14:40:00",
             "2023-01-06T14:40:00", "2023-01-06T14:40:00", "2023-01-06T15:02:10", "2023-01-06T15:05:00",
             "2023-01-06T15:30:00", "2023-01-06T16:00:00"]
    api.subs = {500 + n: t for n, t in enumerate(times)}

    def insert(n: int) -> None:
        if n == 1:
            api.subs[600] = "2023-01-06T15:10:00"  # arrives while the connector is on its first pages
            api.subs[601] = "2023-01-06T14:40:00"  # same second as the boundary, not pulled yet

    api.after_request = insert
    connector = connectors.Connector(store, settings, kobo_config(api.url), environ=ENV)
    result = connector.run_once()
    assert result.error is None
    assert all(e["auth"] == f"Token {TOKEN}" and e["path"] == f"/api/v2/assets/{KOBO_UID}/data/" for e in api.log)
    assert "query" not in api.log[0]["params"]
    assert json.loads(api.log[1]["params"]["query"]) == {"_submission_time": {"$gte": "2023-01-06T14:40:00"}}
    names = [p.name for p in pending(settings.inbox)]
    assert names and all("__kobo_signalement_incident_2023__kobo_test.kobo-api.json" in n for n in names)
    assert ingest(store, settings) == (12, 0, 0)
    # The mapping's source and the ids of the submissions (_uuid): each once.
    assert reports(store, "observateurs") == sorted(f"0000-{i:04d}" for i in api.subs)

    api.log.clear()
    api.subs[602] = "2023-01-06T17:00:00"
    assert connector.run_once().pulled == 1
    assert json.loads(api.log[0]["params"]["query"]) == {"_submission_time": {"$gte": "2023-01-06T16:00:00"}}
    assert ingest(store, settings) == (1, 0, 0)

    # Connector state is for operators and admins only.
    assert state_row(store, "kobo_test")["n_pulled"] == 13
    assert len(sql.run(store, "admin", "connector_state", {})) == 1
    for role in ("observer", "journalist"):
        with pytest.raises(PermissionError):
            sql.run(store, role, "connector_state", {})
        assert store.cursor(role).execute("select count(*) from connector_state").fetchone()[0] == 0


# -- the server's thread, configuration -----------------------------------------------------------------


def test_scheduler_runs_connectors_in_the_background_and_the_sources_page_shows_them(api, settings, store, tmp_path, monkeypatch):
    ushahidi_dataset(api)
    config = tmp_path / "connectors.toml"
    config.write_text(f"""
[[connector]]
name = "ushahidi_fond"
kind = "ushahidi"
url = "{api.url}"
token_env = "TEST_API_TOKEN"
page_size = 10
interval_seconds = 0.2

[[connector]]
name = "kobo_sans_jeton"
kind = "kobo"
url = "{api.url}"
token_env = "TEST_TOKEN_ABSENT"
form = "{KOBO_UID}"
backoff_seconds = 0.2
""")
    monkeypatch.setenv("VIGIE_CONNECTORS", str(config))
    monkeypatch.setenv("TEST_API_TOKEN", TOKEN)
    monkeypatch.delenv("TEST_TOKEN_ABSENT", raising=False)
    scheduler = connectors.start(store, settings)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            rows = sql.run(store, "operator", "connector_state", {}).set_index("name")
            if len(rows) == 2 and rows.loc["ushahidi_fond", "n_pulled"] == len(api.posts) \
                    and rows.loc["kobo_sans_jeton", "consecutive_failures"] >= 2:
                break
            time.sleep(0.05)
        n_requests = len(api.log)
        time.sleep(0.5)
        assert len(api.log) > n_requests  # still polling on its interval
    finally:
        scheduler.stop()
        scheduler.join(timeout=5)
    assert not scheduler.is_alive()
    assert rows.loc["ushahidi_fond", "status"] == "ok"
    assert rows.loc["kobo_sans_jeton", "status"] == "erreur"
    assert "TEST_TOKEN_ABSENT" in rows.loc["kobo_sans_jeton", "last_error"]
    assert all(e["path"] == "/api/v5/posts" for e in api.log)  # no request without its token

    # A broken file starts nothing and says why; no file, no thread.
    config.write_text('[[connector]]\nname = "x"\nkind = "rss"\nurl = "http://a"\n')
    broken = connectors.start(store, settings)
    assert broken is not None and not broken.is_alive() and "kind" in broken.problem
    assert_sources_page_shows(settings, monkeypatch, ["ushahidi_fond", "kobo_sans_jeton", "TEST_TOKEN_ABSENT"],
                              problem="rss")
    monkeypatch.setenv("VIGIE_CONNECTORS", str(tmp_path / "absent.toml"))
    assert connectors.start(store, settings) is None


def assert_sources_page_shows(settings, monkeypatch, texts: list[str], problem: str) -> None:
    """The Sources page of an operator, served from this state folder, shows the connector rows."""
    from streamlit.testing.v1 import AppTest

    from vigie.auth import User
    from vigie.ui import data

    monkeypatch.setenv("VIGIE_HOME", str(settings.home))
    monkeypatch.setenv("VIGIE_USERS", str(ROOT / "tests" / "fixtures" / "users.toml"))
    data.get_store.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["user"] = User("operateur", "Test", "operator", "", False)  # tests/fixtures/users.toml
        at.run()
        at.switch_page("pages/sources.py")
        at.run()
        assert not at.exception
        assert any("Connecteurs non démarrés" in e.value and problem in e.value for e in at.error)
        shown = "\n".join(str(e.proto) for e in at.get("dataframe"))
        assert all(text in shown for text in texts)
        assert TOKEN not in shown
    finally:
        data.get_store.clear()


def test_example_config_loads():
    configs = load_config(ROOT / "config" / "connectors.example.toml")
    assert [c.kind for c in configs] == ["ushahidi", "kobo"]
    assert all(c.token_env and c.token_env.isupper() for c in configs)


@pytest.mark.parametrize("body,message", [
    ('[[connector]]\nname = "a"\nkind = "rss"\nurl = "http://x"', "kind"),
    ('[[connector]]\nname = "a"\nkind = "kobo"\nurl = "http://x"', "form"),
    ('[[connector]]\nname = "a"\nkind = "ushahidi"\nurl = "http://u:p@x"', "identifiants"),
    ('[[connector]]\nname = "a"\nkind = "ushahidi"\nurl = "http://x"\ntoken = "abc"', "clé inconnue"),
    ('[[connector]]\nname = "a"\nkind = "ushahidi"\nurl = "http://x"\npage_size = 5000', "page_size"),
    ('[[connector]]\nname = "a"\nkind = "ushahidi"\nurl = "http://x"\n'
     '[[connector]]\nname = "a"\nkind = "ushahidi"\nurl = "http://y"', "double"),
])
def test_config_errors_name_the_problem(tmp_path, body, message):
    path = tmp_path / "connectors.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_cursor_keeps_the_boundary_ids_and_the_overlap_window():
    t = parse_time("2023-01-06T14:40:00")
    cursor = Cursor().advanced([(t, "a"), (t - dt.timedelta(seconds=5), "b"), (t, "c")], overlap=0)
    assert cursor.time == t and cursor.seen == {"a": "2023-01-06T14:40:00Z", "c": "2023-01-06T14:40:00Z"}
    assert not cursor.is_new((t, "a"), 0) and cursor.is_new((t, "d"), 0)
    assert not cursor.is_new((t - dt.timedelta(seconds=1), "e"), 0)
    # With an overlap, a late commit with an older time is still picked up, and only once.
    wide = Cursor().advanced([(t, "a"), (t - dt.timedelta(seconds=5), "b")], overlap=60)
    assert wide.query_from(60) == t - dt.timedelta(seconds=60)
    assert not wide.is_new((t - dt.timedelta(seconds=5), "b"), 60)
    assert wide.is_new((t - dt.timedelta(seconds=30), "late"), 60)
    assert Cursor.from_json(wide.to_json()) == wide
    assert parse_time(1672906800) == parse_time("2023-01-05T08:20:00Z") == parse_time("2023-01-05 09:20:00+01:00")

