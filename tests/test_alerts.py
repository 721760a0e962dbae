"""Early warning: the rules on constructed series, acknowledging, not raising twice, and notifications
delivered to real servers on loopback (SMTP with aiosmtpd, a webhook with http.server), with retries."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import math
import shutil
import socket
import threading
import time

import pandas as pd
import pytest

from tests.conftest import FIXTURES, make_settings
from tests.fixture_data import rows_to_csv
from vigie import alerts, notify, sql
from vigie.auth import User
from vigie.config import QUERIES_DIR
from vigie.ingest.inbox import drop_bytes, process_inbox
from vigie.store import Event, Store

NOW = dt.datetime(2023, 1, 5, 12, 0)  # local time, 13 days into the campaign (23 December)
OPERATOR = User("operateur", "Operateur (test)", "operator", "", False)
OTHER_OPERATOR = User("admin", "Admin (test)", "admin", "", False)
OBSERVER = User("observateur", "Observateur (test)", "observer", "", False)
NO_NOTIFY = notify.NotifyConfig()


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_GROUP_WINDOW_HOURS", "0")  # every constructed report is its own incident
    settings = make_settings(tmp_path / "state")
    st = Store.open(settings)
    st.test_settings = settings
    yield st
    st.close()


def communes_of(store: Store, n: int) -> tuple[str, list[dict]]:
    """A département with at least `n` communes, and those communes."""
    communes = store.pack.communes
    sizes = communes.groupby("departement_code").size()
    dep = sizes[sizes >= n].index[0]
    return dep, communes[communes["departement_code"] == dep].head(n).to_dict("records")


class Series:
    """Reports written as a native CSV into the inbox and ingested, like any feed's."""

    def __init__(self, store: Store):
        self.store, self.rows = store, []

    def add(self, commune: dict, when: dt.datetime, severity: int = 2, category: str = "violence") -> None:
        i = len(self.rows)
        self.rows.append({"id": f"AL-{id(self)}-{i}", "source": "observateurs", "date": when.strftime("%d/%m/%Y %H:%M"),
                          "latitude": "", "longitude": "", "commune": commune["commune"], "categorie": category,
                          "gravite": str(severity), "description": f"Incident construit n°{i} à {commune['commune']}",
                          "nom": "", "telephone": "", "contact": ""})

    def daily(self, commune: dict, per_day: int, first: dt.date, last: dt.date) -> None:
        """`per_day` incidents on each day from `first` to `last`, spread over the day."""
        day = first
        while day <= last:
            for k in range(per_day):
                self.add(commune, dt.datetime.combine(day, dt.time(6)) + dt.timedelta(minutes=k * 600 // per_day))
            day += dt.timedelta(days=1)

    def ingest(self) -> None:
        settings = self.store.test_settings
        drop_bytes(settings.inbox, rows_to_csv(self.rows), "series.csv", source="test")
        results = process_inbox(self.store, settings)
        assert results[0].accepted == len(self.rows), results[0].summary()
        self.rows = []


CAMPAIGN = dt.date(2022, 12, 23)
BEFORE_WINDOW = (NOW - dt.timedelta(hours=24)).date() - dt.timedelta(days=1)  # 3 January


def surge(store: Store) -> dict[str, alerts.Cause]:
    return {c.commune_code: c for c in alerts.rule_commune_surge(store, NOW)}


# -- the statistics -------------------------------------------------------------------------------
def test_poisson_tail_matches_the_direct_sum():
    for n, mu in ((3, 0.1), (10, 2.5), (1, 4.0), (40, 12.0), (5, 5.0)):
        direct = 1 - sum(math.exp(-mu) * mu**k / math.factorial(k) for k in range(n))
        assert alerts.poisson_sf(n, mu) == pytest.approx(direct, rel=1e-9, abs=1e-15)
    assert alerts.poisson_sf(0, 3.0) == 1.0
    assert alerts.poisson_sf(500, 1.0) < 1e-300 or alerts.poisson_sf(500, 1.0) == 0.0


# -- rule 1 on constructed series -----------------------------------------------------------------
def test_flat_series_raises_nothing_and_a_jump_raises_the_commune(store):
    _, (flat, jumping, quiet) = communes_of(store, 3)
    series = Series(store)
    series.daily(flat, 4, CAMPAIGN, NOW.date())  # four a day, every day, today included
    series.daily(jumping, 1, CAMPAIGN, BEFORE_WINDOW)  # one a day, then twelve in the last 24 h
    for k in range(12):
        series.add(jumping, NOW - dt.timedelta(hours=20) + dt.timedelta(hours=k))
    series.daily(quiet, 1, CAMPAIGN, NOW.date())
    series.ingest()

    found = surge(store)
    assert set(found) == {jumping["commune_code"]}
    cause = found[jumping["commune_code"]]
    assert cause.key == f"commune_surge:{jumping['commune_code']}"
    assert cause.detail["baseline"] == "commune" and cause.detail["observed"] == 12
    assert cause.detail["p_value"] < alerts.P_MAX
    assert jumping["commune"] in cause.title and "12 incidents" in cause.title


def test_two_incidents_never_raise_a_commune_whatever_its_history(store):
    _, (commune,) = communes_of(store, 1)
    series = Series(store)
    series.add(commune, NOW - dt.timedelta(hours=2))
    series.add(commune, NOW - dt.timedelta(hours=1))
    series.ingest()
    assert surge(store) == {}  # below the minimum count, even with a baseline of zero


def test_a_commune_without_history_takes_its_departements_rate(store):
    _, communes = communes_of(store, 4)
    busy, new_busy_dep = communes[0], communes[1]
    series = Series(store)
    # The département is busy (one commune: 12 a day), so 4 incidents in a commune that had none is not
    # unusual for it: 12 × 13 days over its communes is above one a day per commune.
    series.daily(busy, 12, CAMPAIGN, BEFORE_WINDOW)
    for k in range(4):
        series.add(new_busy_dep, NOW - dt.timedelta(hours=10 - k))
    series.ingest()
    assert new_busy_dep["commune_code"] not in surge(store)
    counts = sql.run(store, "operator", "alert_commune_surge",
                     {"now": NOW, "history_from": dt.datetime(2022, 12, 23), "min_count": 3})
    row = counts.set_index("commune_code").loc[new_busy_dep["commune_code"]]
    n_communes = int((store.pack.communes["departement_code"] == busy["departement_code"]).sum())
    assert row["n_history"] == 0
    assert row["departement_history_per_commune"] == pytest.approx(12 * 12 / n_communes)


def test_a_commune_without_history_in_a_quiet_departement_is_raised(store):
    _, (commune,) = communes_of(store, 1)
    series = Series(store)
    for k in range(4):
        series.add(commune, NOW - dt.timedelta(hours=6 - k))
    series.ingest()
    cause = surge(store)[commune["commune_code"]]
    assert cause.detail["baseline"] == "departement"
    assert "département" in cause.title


def test_false_and_duplicate_incidents_do_not_count(store):
    _, (commune,) = communes_of(store, 1)
    series = Series(store)
    for k in range(5):
        series.add(commune, NOW - dt.timedelta(hours=6 - k))
    series.ingest()
    assert commune["commune_code"] in surge(store)
    ids = [r[0] for r in store.raw_cursor().execute("select incident_id from main.incidents").fetchall()]
    store.record_events([Event(i, "status", "faux", "operateur", "démenti") for i in ids[:3]])
    assert surge(store) == {}


# -- raising, acknowledging, not raising twice ---------------------------------------------------
def critical_incident(store: Store, minutes_ago: int) -> int:
    _, (commune,) = communes_of(store, 1)
    series = Series(store)
    series.add(commune, NOW - dt.timedelta(minutes=minutes_ago), severity=4, category="securite")
    series.ingest()
    return store.raw_cursor().execute("select max(incident_id) from main.incidents").fetchone()[0]


def alert_rows(store: Store, role: str = "operator"):
    return sql.run(store, role, "alerts_list", {"state": "", "limit": 100})


def test_unassigned_critical_is_raised_after_the_threshold_and_cleared_by_a_unit(store, monkeypatch):
    monkeypatch.setenv("VIGIE_ALERT_UNASSIGNED_MINUTES", "30")
    young = critical_incident(store, 20)
    old = critical_incident(store, 45)
    result = alerts.evaluate(store, NOW, NO_NOTIFY)
    rows = alert_rows(store)
    assert list(rows["subject_id"]) == [old] and len(result.raised) == 1
    assert rows["state"].tolist() == ["ouverte"]
    assert young not in set(rows["subject_id"])

    store.record_events([Event(old, "assigned_unit", "BAC Cotonou", "operateur")])
    result = alerts.evaluate(store, NOW, NO_NOTIFY)
    assert result.raised == [] and len(result.cleared) == 1
    assert alert_rows(store)["state"].tolist() == ["levee"]


def test_acknowledged_alert_is_not_raised_again_until_the_situation_changes(store):
    incident = critical_incident(store, 60)
    first = alerts.evaluate(store, NOW, NO_NOTIFY).raised
    assert len(first) == 1
    alerts.acknowledge(store, OPERATOR, first[0], "Unité prévenue par téléphone")
    assert alerts.evaluate(store, NOW, NO_NOTIFY).raised == []  # the cause still holds: not raised twice
    assert alerts.evaluate(store, NOW + dt.timedelta(minutes=5), NO_NOTIFY).raised == []
    row = alert_rows(store).iloc[0]
    assert (row["state"], row["acked_by"], row["ack_note"]) == ("acquittee", "operateur", "Unité prévenue par téléphone")
    assert row["acked_at"] is not None

    # A second operator who acknowledges the same alert is told who did it first.
    with pytest.raises(alerts.AlertError, match="déjà acquittée par operateur"):
        alerts.acknowledge(store, OTHER_OPERATOR, first[0], "moi aussi")
    # The situation changes (the incident is marked false) and then turns bad again (it is reopened):
    # a new alert, the old one stays in the history.
    store.record_events([Event(incident, "status", "faux", "operateur")])
    assert alerts.evaluate(store, NOW, NO_NOTIFY).cleared == first
    store.record_events([Event(incident, "status", "en_verification", "operateur", "confirmé finalement")])
    again = alerts.evaluate(store, NOW, NO_NOTIFY).raised
    assert len(again) == 1 and again != first
    assert alert_rows(store)["state"].tolist() == ["ouverte", "acquittee"]
    # The ack is an append-only event; the alert row itself was never rewritten.
    kinds = store.raw_cursor().execute("select kind from main.alert_events order by event_id").fetchall()
    assert [k[0] for k in kinds] == ["ack", "clear"]


def test_only_operators_acknowledge_and_journalists_have_no_alerts(store):
    critical_incident(store, 60)
    alert_id = alerts.evaluate(store, NOW, NO_NOTIFY).raised[0]
    with pytest.raises(PermissionError):
        alerts.acknowledge(store, OBSERVER, alert_id, "lu")
    alerts.acknowledge(store, OPERATOR, alert_id, "note interne")
    observed = alert_rows(store, "observer").iloc[0]
    assert observed["state"] == "acquittee" and pd.isna(observed["ack_note"])  # notes stay with operators
    for name in ("alerts_list", "alerts_open_count", "alert_deliveries_state"):
        with pytest.raises(PermissionError):
            sql.run(store, "journalist", name, {"state": "", "limit": 1} if name == "alerts_list" else
                    {} if name == "alerts_open_count" else {"due_before": None, "limit": 1})
    cur = store.cursor("journalist")  # even a query written by hand finds no alerts in the journalist scope
    assert cur.execute("select count(*) from alerts").fetchone() == (0,)
    assert cur.execute("select count(*) from alert_deliveries").fetchone() == (0,)


def insert_rally(store: Store, rally_id: int, starts_local: dt.datetime, status: str | None) -> None:
    _, (commune,) = communes_of(store, 1)
    store.raw_cursor().execute(
        """insert into main.rallies values ($id, 0, 'test', null, 'Parti Test', $utc, $local, $commune, 'Place',
                                            500, $status, null, null, null, $hash)""",
        {"id": rally_id, "utc": starts_local - dt.timedelta(hours=1), "local": starts_local,
         "commune": commune["commune_code"], "status": status, "hash": f"h{rally_id}"})


def test_rallies_within_48_hours_without_granted_protection(store):
    insert_rally(store, 1, NOW + dt.timedelta(hours=10), "demandee")
    insert_rally(store, 2, NOW + dt.timedelta(hours=20), "accordee")
    insert_rally(store, 3, NOW + dt.timedelta(hours=60), None)  # too far ahead
    insert_rally(store, 4, NOW + dt.timedelta(hours=30), None)
    insert_rally(store, 5, NOW - dt.timedelta(hours=2), "refusee")  # already started
    causes = alerts.rule_rally_unprotected(store, NOW)
    assert [c.subject_id for c in causes] == [1, 4]
    assert "demandée" in causes[0].title or "demandee" in causes[0].title
    assert "non demandée" in causes[1].title


def test_claims_hook_runs_the_claims_query_only_when_it_exists(store, tmp_path, monkeypatch):
    queries = tmp_path / "queries"
    shutil.copytree(QUERIES_DIR, queries)
    (queries / "claims_spreading.sql").unlink(missing_ok=True)
    monkeypatch.setattr(alerts, "QUERIES_DIR", queries)
    monkeypatch.setattr(sql, "QUERIES_DIR", queries)
    sql.load.cache_clear()
    try:
        assert alerts.rule_claim_spreading(store, NOW) is None
        assert alerts.evaluate(store, NOW, NO_NOTIFY).failed_rules == []
        (queries / "claims_spreading.sql").write_text(
            "-- Test stand-in for the claims feature's query.\n-- roles: admin, operator\n"
            "select 7 as claim_id, 'Les urnes sont déjà remplies' as text, 12000 as reach_now\n"
            "where $now = timestamp '2023-01-05 11:00'\n")  # NOW in UTC (Benin: UTC+1)
        sql.load.cache_clear()
        causes = alerts.rule_claim_spreading(store, NOW)
        assert [(c.key, c.subject_id) for c in causes] == [("claim_spreading:7", 7)]
        assert "urnes" in causes[0].title and "12000" in causes[0].title
    finally:
        sql.load.cache_clear()



def test_the_server_thread_raises_and_delivers_on_its_own(store, webhook, monkeypatch):
    monkeypatch.setenv("VIGIE_ALERT_WEBHOOK_URL", webhook.url)
    monkeypatch.setenv("VIGIE_ALERT_SECONDS", "0.2")
    critical_incident(store, 60)
    _, (commune,) = communes_of(store, 1)
    later = Series(store)
    later.add(commune, NOW)  # the data clock (VIGIE_CLOCK=data in the test settings) reads NOW
    later.ingest()
    assert alerts.situation_now(store) == NOW
    runner = alerts.start(store)
    try:
        deadline = time.monotonic() + 15
        while not webhook.bodies and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        runner.stop()
    assert webhook.bodies and webhook.bodies[0]["alerts"][0]["rule"] == "unassigned_critical"
    assert runner.last_error is None
    monkeypatch.setenv("VIGIE_ALERT_SECONDS", "0")
    assert alerts.start(store) is None

# -- notifications ----------------------------------------------------------------------------------
class Recorder(http.server.BaseHTTPRequestHandler):
    """A loopback webhook: records JSON bodies; answers with the server's `status`."""

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(self.server.delay)
        self.server.bodies.append(json.loads(body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.bodies, server.status, server.delay = [], 204, 0.0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}/hook?token=secret"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    handler = Handler()
    with socket.socket() as probe:  # a free port: the controller checks its server by connecting to it
        probe.bind(("127.0.0.1", 0))
        handler.port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


def many_critical(store: Store, n: int) -> None:
    """`n` critical incidents left without a unit, in as many communes (no commune above its baseline)."""
    communes = store.pack.communes.to_dict("records")
    series = Series(store)
    for k in range(n):
        series.add(communes[k % len(communes)], NOW - dt.timedelta(minutes=40 + k), severity=4, category="securite")
    series.ingest()


def deliveries(store: Store):
    return store.raw_cursor().execute(
        "select channel, attempt, status, next_try_at, error, target from main.alert_deliveries order by delivery_id"
    ).fetchall()


def test_email_goes_to_every_recipient_in_one_grouped_message(store, smtp_server):
    config = notify.NotifyConfig(emails=("cena@example.org", "misp@example.org"), smtp_host="127.0.0.1",
                                 smtp_port=smtp_server.port, max_alerts=5, timeout=5)
    many_critical(store, 30)
    raised = alerts.evaluate(store, NOW, config).raised
    n = len(raised)
    assert n == 30, store.raw_cursor().execute("select rule, count(*), max(title) from main.alerts group by rule").fetchall()
    assert notify.deliver_due(store, config) == 1
    assert len(smtp_server.messages) == 1  # thirty alerts, one message
    recipients, content = smtp_server.messages[0]
    assert sorted(recipients) == ["cena@example.org", "misp@example.org"]
    assert f"{n} nouvelles alertes" in content and f"{n - 5} autre(s) alerte(s)" in content
    listed = [line for line in content.splitlines() if line.startswith("- n")]
    assert len(listed) == 5, content
    assert [(c, a, s) for c, a, s, *_ in deliveries(store)] == [("email", 0, "pending"), ("email", 1, "sent")]
    assert notify.deliver_due(store, config) == 0  # sent once, never again


def test_webhook_receives_the_json_and_never_the_token_in_the_page(store, webhook):
    config = notify.NotifyConfig(webhook_url=webhook.url, max_alerts=3, timeout=5)
    many_critical(store, 4)
    alerts.evaluate(store, NOW, config)
    assert notify.deliver_due(store, config) == 1
    (body,) = webhook.bodies
    assert body["source"] == "vigie" and body["n_alerts"] == 4 and body["n_more"] == 1
    assert [a["rule"] for a in body["alerts"]] == ["unassigned_critical"] * 3
    assert all(a["title"].startswith("Incident critique") and a["title_en"] for a in body["alerts"])
    shown = sql.run(store, "operator", "alert_deliveries_state", {"due_before": None, "limit": 10})
    assert shown["status"].tolist() == ["sent"] and "secret" not in shown["target"].iloc[0]


def test_failed_delivery_is_retried_with_backoff_then_abandoned(store, webhook):
    webhook.status = 500
    config = notify.NotifyConfig(webhook_url=webhook.url, max_tries=3, backoff_seconds=60, timeout=5)
    many_critical(store, 2)
    alerts.evaluate(store, NOW, config)
    start = dt.datetime(2030, 1, 1, 8, 0)
    assert notify.deliver_due(store, config, start) == 1
    assert notify.deliver_due(store, config, start + dt.timedelta(seconds=30)) == 0  # not due yet
    assert notify.deliver_due(store, config, start + dt.timedelta(seconds=61)) == 1
    assert notify.deliver_due(store, config, start + dt.timedelta(seconds=61 + 119)) == 0  # doubled: 120 s
    assert notify.deliver_due(store, config, start + dt.timedelta(seconds=61 + 121)) == 1
    assert notify.deliver_due(store, config, start + dt.timedelta(days=1)) == 0  # abandoned
    rows = deliveries(store)
    assert [(a, s) for _, a, s, *_ in rows] == [(0, "pending"), (1, "failed"), (2, "failed"), (3, "abandoned")]
    assert rows[1][3] == start + dt.timedelta(seconds=60) and rows[2][3] == start + dt.timedelta(seconds=61 + 120)
    assert "500" in rows[3][4]
    assert len(webhook.bodies) == 3
    # The page shows it: the latest state of the notification is abandoned, with the server's error.
    shown = sql.run(store, "observer", "alert_deliveries_state", {"due_before": None, "limit": 10})
    assert shown["status"].tolist() == ["abandoned"] and shown["error"].isna().all()  # error text: operators only


def test_smtp_server_down_is_a_failed_try_not_a_crash(store):
    config = notify.NotifyConfig(emails=("cena@example.org",), smtp_host="127.0.0.1", smtp_port=1, timeout=2)
    many_critical(store, 1)
    alerts.evaluate(store, NOW, config)
    assert notify.deliver_due(store, config) == 1
    _, attempt, status, next_try, error, _ = deliveries(store)[1]
    assert (attempt, status) == (1, "failed") and next_try is not None
    assert "ConnectionRefusedError" in error


def test_a_slow_webhook_never_holds_the_write_lock(store, webhook):
    webhook.delay = 2.0
    config = notify.NotifyConfig(webhook_url=webhook.url, timeout=5)
    many_critical(store, 1)
    alerts.evaluate(store, NOW, config)
    sender = threading.Thread(target=notify.deliver_due, args=(store, config))
    sender.start()
    time.sleep(0.3)  # the POST is under way
    started = time.perf_counter()
    assert store.write_lock.acquire(timeout=1.0), "ingest would wait for the webhook"
    waited = time.perf_counter() - started
    store.write_lock.release()
    sender.join(10)
    assert waited < 0.5 and len(webhook.bodies) == 1


# -- the Alertes page (AppTest) ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def alerts_home(tmp_path_factory):
    """The fixture scenario with one pass of the rules done (critical incidents without a unit)."""
    from tests.fixture_data import build_fixture_state

    home = tmp_path_factory.mktemp("alerts_page") / "state"
    settings = make_settings(home)
    build_fixture_state(settings)
    st = Store.open(settings)
    try:
        assert alerts.evaluate(st, notify_config=NO_NOTIFY).raised
        # One notification that failed: the page must show it.
        st.raw_cursor().execute(
            """insert into main.alert_deliveries values (900, 900, 'webhook', 'http://127.0.0.1/hook', [1], 2,
               timestamp '2023-01-10 10:00', 'failed', timestamp '2023-01-10 10:02', 'HTTPError: HTTP Error 500')""")
    finally:
        st.close()
    return home


@pytest.fixture
def page_env(alerts_home, monkeypatch):
    from vigie.ui import data

    monkeypatch.setenv("VIGIE_HOME", str(alerts_home))
    monkeypatch.setenv("VIGIE_USERS", str(FIXTURES / "users.toml"))
    monkeypatch.setenv("VIGIE_CLOCK", "data")
    monkeypatch.setenv("VIGIE_ALERT_SECONDS", "0")  # the page test drives the rules itself
    data.get_store.clear()
    yield alerts_home
    data.get_store.clear()


# The page's three tables, told apart by a column only each has.
TABLES = {"open": lambda c: "state" not in c and "channel" not in c, "history": lambda c: "state" in c,
          "deliveries": lambda c: "channel" in c}


def table(at, which: str) -> pd.DataFrame:
    found = [df.value for df in at.dataframe if TABLES[which](set(df.value.columns))]
    assert len(found) == 1, (which, [list(df.value.columns) for df in at.dataframe])
    return found[0]


@pytest.mark.parametrize("role", ["admin", "operator", "observer", "journalist"])
def test_alerts_page_for_every_role(page_env, role):
    from tests.test_pages import opened

    at, routed = opened(role, "pages/alerts.py")
    assert not at.exception, at.exception
    if role == "journalist":
        assert not routed and at.error and not at.get("dataframe")  # refused, no data sent
        return
    assert routed and not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Alertes"
    assert len(table(at, "open")) > 0
    assert any("non envoyée" in w.value for w in at.warning)  # the failed notification
    history = table(at, "history")
    assert "Incident critique" in " ".join(history["title"])
    deliveries = table(at, "deliveries")
    if role == "observer":
        assert not at.get("form") and "ack_note" not in history.columns
        assert deliveries["error"].isna().all()  # the server's message stays with operators
        assert [b for b in at.button if b.label == "Acquitter"] == []
    else:
        assert "HTTP Error 500" in " ".join(deliveries["error"].dropna())


def test_operator_acknowledges_an_alert_on_the_page(page_env):
    from tests.test_pages import logged_in

    at = logged_in("operator", "pages/alerts.py")
    open_before = len(table(at, "open"))
    chosen = at.selectbox(key="alerts_ack_id").value
    at.text_input(key="alerts_ack_note").input("BAC de Parakou prévenue")
    at.button[[b.label for b in at.button].index("Acquitter")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(s.value == "Alerte acquittée." for s in at.success)
    assert len(table(at, "open")) == open_before - 1
    st = Store.open(make_settings(page_env))
    try:
        row = sql.run(st, "operator", "alerts_list", {"state": "", "limit": 1000}).set_index("alert_id").loc[chosen]
    finally:
        st.close()
    assert (row["state"], row["acked_by"], row["ack_note"]) == ("acquittee", "operateur", "BAC de Parakou prévenue")


def test_overview_links_to_the_open_alerts_except_for_journalists(page_env):
    from tests.test_pages import logged_in

    for role in ("operator", "observer", "journalist"):
        at = logged_in(role)
        assert not at.exception
        links = [str(e.proto) for e in at.get("page_link")]
        if role == "journalist":
            assert not links
        else:
            assert any("alerte(s) ouverte(s)" in link and "alertes" in link for link in links), links


def test_daily_report_lists_the_open_alerts_for_the_situation_room_only(alerts_home):
    from vigie import report

    st = Store.open(make_settings(alerts_home))
    try:
        open_titles = sql.run(st, "observer", "alerts_open", {"limit": 100})["title"].tolist()
        day = dt.date(2023, 1, 10)
        observer = report.build(st, "observer", day, "fr")["alerts"]
        journalist = report.build(st, "journalist", day, "fr")["alerts"]
    finally:
        st.close()
    assert open_titles and not observer["note"]
    shown = " ".join(cell for row in observer["rows"] for cell in row["cells"])
    assert open_titles[0][:60] in shown
    assert journalist["rows"] == [] and journalist["note"]  # refused: the journalist's report has no alerts
