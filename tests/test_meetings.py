"""Meetings: rallies under protection, the party liaison role and incidents near a rally.

Real DuckDB files throughout: the decisions go to the append-only rally_events, the party's views are bound
to its account's party on the cursor, and the page runs under Streamlit's AppTest for each role.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from vigie import alerts, notify, sql
from vigie.auth import AccountStore, AuthError, User, hash_password, load_users
from vigie.ingest.inbox import drop_bytes, process_inbox
from vigie.rallies import RallyWorkflow, submit_file, submit_one
from vigie.store import Store
from vigie.workflow import ConcurrentChange, WorkflowError
from tests.conftest import FIXTURES, make_settings
from tests.fixture_data import N_RALLIES, PII_MARKERS, fixture_rallies, rows_to_csv
from tests.test_rallies_claims import csv_bytes

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "pages/rallies.py"
OPERATOR = User("operateur", "Op", "operator", "")
OTHER_OPERATOR = User("admin", "Admin", "admin", "")
OBSERVER = User("observateur", "Obs", "observer", "")
PARTY = User("parti", "Liaison", "party", "", False, "Bloc républicain")
T0 = dt.datetime(2023, 1, 5, 15, 0)  # local time of the constructed rally (Benin: UTC+1)
NEAR = {"before_hours": 3, "after_hours": 6}
# Every column a party session may receive from any query (the page's tables and map are built from them).
PARTY_COLUMNS = {
    "rally_id", "starts_at", "starts_local", "party", "commune_code", "commune", "departement_code", "departement",
    "place", "expected_attendance", "protection_status", "unit", "decided_at", "version", "source", "source_ref",
    "n_incidents_near", "lat", "lon", "event_id", "at_time", "field", "from_value", "to_value", "latest",
    "n",
}
# Never to a party: who reported an incident, what operators wrote, other parties' plans, the original file.
NEVER_TO_PARTY = {"reporter_name", "reporter_phone", "reporter_contact", "raw", "reason", "actor", "description",
                  "title", "incident_id", "ingest_seq", "content_hash", "ref_key"}


def ingest(store: Store, data: bytes, name: str, source: str = "test"):
    drop_bytes(store.test_settings.inbox, data, name, source=source)
    [result] = process_inbox(store, store.test_settings)
    assert result.error is None, result.error
    return result


@pytest.fixture
def room(settings):
    """An empty store with two rallies in Cotonou at T0 (Bloc républicain, Les Démocrates) and incidents around
    the first one's start, in its commune and elsewhere."""
    store = Store.open(settings)
    store.test_settings = settings
    ingest(store, csv_bytes([["id", "parti", "date", "heure", "commune", "lieu", "affluence", "protection"],
                             ["M-1", "Bloc républicain", "05/01/2023", "15h", "Cotonou", "Place de l'Étoile rouge",
                              "5 000", "demandée"],
                             ["M-2", "Les Démocrates", "05/01/2023", "16:00", "Cotonou", "Stade", "2000", ""]]),
           "meetings.csv", source="police")
    rows = []
    for k, (hours, commune) in enumerate([(-4, "Cotonou"), (-2, "Cotonou"), (5, "Cotonou"), (7, "Cotonou"),
                                          (1, "Porto-Novo")]):
        when = T0 + dt.timedelta(hours=hours)
        rows.append({"id": f"NR-{k}", "source": "observateurs", "date": when.strftime("%d/%m/%Y %H:%M"),
                     "latitude": "", "longitude": "", "commune": commune, "categorie": "violence", "gravite": "2",
                     "description": f"Heurts n°{k} près du meeting ({hours:+d} h)", "nom": PII_MARKERS[0],
                     "telephone": PII_MARKERS[1], "contact": PII_MARKERS[2]})
    ingest(store, rows_to_csv(rows), "near.csv")
    yield store
    store.close()


def rally_id(store: Store, ref: str) -> int:
    return store.raw_cursor().execute("select rally_id from main.rallies where source_ref = $r", {"r": ref}).fetchone()[0]


def state(store: Store, rid: int) -> dict:
    cur = store.raw_cursor()
    row = cur.execute("select protection_status, unit, version from main.rally_state where rally_id = $id",
                      {"id": rid}).fetchone()
    return dict(zip(("protection_status", "unit", "version"), row))


# -- the protection workflow ---------------------------------------------------------------------------------

def test_granting_protection_appends_to_the_audit_trail(room):
    rid = rally_id(room, "M-1")
    workflow = RallyWorkflow(room)
    assert state(room, rid) == {"protection_status": "demandee", "unit": None, "version": 0}
    assert workflow.decide(OPERATOR, rid, 0, "accordee", "CRS 12", "itinéraire validé") == 2
    now = state(room, rid)
    assert (now["protection_status"], now["unit"]) == ("accordee", "CRS 12") and now["version"] > 0
    events = room.raw_cursor().execute(
        "select actor, field, from_value, to_value, reason from main.rally_events where rally_id = $id order by event_id",
        {"id": rid}).fetchall()
    assert events == [("operateur", "protection_status", "demandee", "accordee", "itinéraire validé"),
                      ("operateur", "unit", None, "CRS 12", "itinéraire validé")]
    # The itinerary as received is never rewritten.
    assert room.raw_cursor().execute("select protection_status, unit from main.rallies where rally_id = $id",
                                     {"id": rid}).fetchone() == ("demandee", None)
    # Withdrawn: the unit is released with it, in the same action.
    workflow.decide(OPERATOR, rid, now["version"], "refusee", None, "menace réévaluée")
    assert (state(room, rid)["protection_status"], state(room, rid)["unit"]) == ("refusee", None)


def test_a_decision_made_first_by_another_operator_is_refused_with_who_and_what(room):
    rid = rally_id(room, "M-1")
    workflow = RallyWorkflow(room)
    workflow.decide(OTHER_OPERATOR, rid, 0, "accordee", "BAC Cotonou")
    with pytest.raises(ConcurrentChange, match=r"admin : .*accordee"):
        workflow.decide(OPERATOR, rid, 0, "refusee", None, "trop tard")  # it was looking at version 0
    assert state(room, rid)["protection_status"] == "accordee"


def test_decisions_are_checked(room):
    rid = rally_id(room, "M-1")
    workflow = RallyWorkflow(room)
    for user in (OBSERVER, PARTY, User("j", "J", "journalist", "")):
        with pytest.raises(PermissionError):
            workflow.decide(user, rid, 0, "accordee")
    with pytest.raises(WorkflowError, match="pourquoi"):
        workflow.decide(OPERATOR, rid, 0, "refusee")  # a refusal says why
    with pytest.raises(WorkflowError, match="inconnu"):
        workflow.decide(OPERATOR, rid, 0, "peut-etre")
    with pytest.raises(WorkflowError, match="accordée"):
        workflow.decide(OPERATOR, rid, 0, None, "CRS 1")  # a unit for a rally whose protection is not granted
    with pytest.raises(WorkflowError, match="introuvable"):
        workflow.decide(OPERATOR, 10_000, 0, "accordee")
    assert workflow.decide(OPERATOR, rid, 0, "demandee") == 0  # nothing changes, nothing written
    assert room.raw_cursor().execute("select count(*) from main.rally_events").fetchone()[0] == 0


def test_the_alert_on_unprotected_rallies_reads_the_decisions(room):
    rid = rally_id(room, "M-1")
    now = T0 - dt.timedelta(hours=10)
    found = sql.run(room, "operator", "alert_rallies_unprotected", {"now": now, "until": now + dt.timedelta(hours=48)})
    assert rid in set(found["rally_id"])
    RallyWorkflow(room).decide(OPERATOR, rid, 0, "accordee", "CRS 12")
    found = sql.run(room, "operator", "alert_rallies_unprotected", {"now": now, "until": now + dt.timedelta(hours=48)})
    assert rid not in set(found["rally_id"]) and rally_id(room, "M-2") in set(found["rally_id"])
    # The rule itself, on the same decisions: M-2 alone is raised.
    raised = alerts.evaluate(room, now + dt.timedelta(hours=1), notify.NotifyConfig()).raised
    titles = [r[0] for r in room.raw_cursor().execute(
        "select title from main.alerts where rule = 'rally_unprotected' and list_contains($ids, alert_id)",
        {"ids": raised}).fetchall()]
    assert len(titles) == 1 and "Les Démocrates" in titles[0], titles


# -- incidents near a rally ----------------------------------------------------------------------------------

def test_incidents_near_a_rally_are_its_commune_within_the_window(room, monkeypatch):
    rid = rally_id(room, "M-1")
    found = sql.run(room, "operator", "rally_incidents", {"rally_id": rid, **NEAR})
    assert sorted(found["hours_from_start"]) == [-2.0, 5.0]  # -4 h and +7 h are outside, Porto-Novo elsewhere
    wider = sql.run(room, "operator", "rally_incidents", {"rally_id": rid, "before_hours": 5, "after_hours": 8})
    assert sorted(wider["hours_from_start"]) == [-4.0, -2.0, 5.0, 7.0]
    upcoming = sql.run(room, "operator", "rallies_upcoming", {
        "date_from": dt.datetime(2023, 1, 5), "date_to": dt.datetime(2023, 1, 6), "departements": [], "communes": [],
        **NEAR}).set_index("rally_id")
    assert upcoming.loc[rid, "n_incidents_near"] == 2
    # The incident's detail flags the rally: the incident 2 h before M-1 is also within M-2's window (3 h before).
    incident = int(room.raw_cursor().execute(
        "select incident_id from main.reports where source_ref = 'NR-1'").fetchone()[0])
    flagged = sql.run(room, "observer", "incident_rallies", {"incident_id": incident, **NEAR})
    assert set(flagged["party"]) == {"Bloc républicain", "Les Démocrates"}
    # The window is configuration.
    from vigie.rallies import window_params

    monkeypatch.setenv("VIGIE_RALLY_BEFORE_HOURS", "1")
    monkeypatch.setenv("VIGIE_RALLY_AFTER_HOURS", "banana")  # unreadable: the default stays
    assert window_params() == {"before_hours": 1.0, "after_hours": 6.0}


@pytest.mark.parametrize("before, after", [(3, 6), (4, 7), (3.99, 6.99), (2, 5), (3.5, 4.99), (0.25, 0.5), (0, 0), (48, 48)])
def test_the_rallies_list_counts_what_each_rallys_detail_lists(room, before, after):
    # The list joins incidents on their commune and hour of occurrence (window_hours); the detail checks one
    # rally's window alone: on the windows' edges (-4 h and +7 h exactly, windows ending inside an hour),
    # both count the same incidents.
    window = {"before_hours": before, "after_hours": after}
    upcoming = sql.run(room, "operator", "rallies_upcoming", {
        "date_from": dt.datetime(2022, 12, 1), "date_to": dt.datetime(2023, 2, 1), "departements": [],
        "communes": [], **window})
    assert len(upcoming) >= 2
    for rid, n in zip(upcoming["rally_id"], upcoming["n_incidents_near"]):
        assert n == len(sql.run(room, "operator", "rally_incidents", {"rally_id": int(rid), **window})), rid
    if (before, after) == (4, 7):
        assert upcoming.set_index("rally_id").loc[rally_id(room, "M-1"), "n_incidents_near"] == 4


# -- the party liaison: its own schema of views --------------------------------------------------------------

def test_a_party_session_sees_its_own_rallies_only(room):
    RallyWorkflow(room).decide(OPERATOR, rally_id(room, "M-1"), 0, "accordee", "CRS 12", "motif interne")
    cur = room.cursor("party", "bloc  REPUBLICAIN ")  # case, accents and spacing aside
    assert cur.execute("select party, protection_status, unit from rallies").fetchall() == [
        ("Bloc républicain", "accordee", "CRS 12")]
    events = cur.execute("select field, to_value from rally_events order by event_id").fetchall()
    assert {"actor", "reason"}.isdisjoint(d[0] for d in cur.execute("select * from rally_events").description)
    assert events == [("protection_status", "accordee"), ("unit", "CRS 12")]  # not who, not why
    for view in ("incidents", "reports", "status_events", "quarantine", "ingest_log"):
        assert cur.execute(f"select count(*) from {view}").fetchone()[0] == 0, view  # noqa: S608 - fixed names
    other = room.cursor("party", "Les Démocrates")
    assert [r[0] for r in other.execute("select party from rallies").fetchall()] == ["Les Démocrates"]
    with pytest.raises(PermissionError):
        room.cursor("party")  # a party account without a party gets no cursor at all
    # A cursor of the party schema that nobody bound (never made by the store) sees no rally either.
    unbound = room.raw_cursor()
    unbound.execute("set search_path = 'scope_party'")
    assert unbound.execute("select count(*) from rallies").fetchone()[0] == 0
    # Fact-checkers have no rallies view: the name does not fall back to the main table (store._close_fallback).
    with pytest.raises(Exception, match="hors des vues"):
        room.cursor("factchecker").execute("select * from rallies")


def test_every_column_a_party_session_receives(fixture_store):
    """Every query a party session may run, on the fixture scenario (with reporter identities in every
    report): the columns are exactly the listed ones, none is a reporter field, an operator's word, the original
    record or another party's rally."""
    received: set[str] = set()
    params = {"date_from": dt.datetime(2022, 1, 1), "date_to": dt.datetime(2024, 1, 1), "departements": [],
              "communes": [], "rally_id": 1, **NEAR, "categories": [], "severities": [], "statuses": [], "sources": []}
    ran = []
    for name in sql.names():
        query = sql.load(name)
        if "party" not in query.roles:
            continue
        frame = sql.run(fixture_store, "party", name, {k: v for k, v in params.items() if k in query.params},
                        party="Bloc républicain")
        received |= set(frame.columns)
        text = frame.astype(str).to_string()
        assert not any(marker in text for marker in PII_MARKERS), name
        if "party" in frame.columns:
            assert set(frame["party"]) <= {"Bloc républicain"}, name
        ran.append(name)
    assert {"rallies_upcoming", "rally_detail", "rally_history"} <= set(ran)
    assert received == PARTY_COLUMNS, (received - PARTY_COLUMNS, PARTY_COLUMNS - received)
    assert received.isdisjoint(NEVER_TO_PARTY)
    # Other parties' rallies exist in the scenario, and the party's own do too: the test can fail both ways.
    assert len(sql.run(fixture_store, "party", "rallies_upcoming", {k: params[k] for k in sql.load(
        "rallies_upcoming").params}, party="Bloc républicain")) == N_RALLIES // 3
    # A party may not run any other query (incidents, reports, claims, alerts, report...).
    with pytest.raises(PermissionError):
        sql.run(fixture_store, "party", "incident_detail", {"incident_id": 1}, party="Bloc républicain")


def test_a_party_submits_its_own_itineraries_and_nothing_else(room):
    data = csv_bytes([["parti", "date", "heure", "commune", "lieu", "affluence", "protection", "unite", "source"],
                      ["", "07/01/2023", "10h", "Parakou", "Place Bio Guéra", "3000", "accordée", "CRS 99", "police"],
                      ["Bloc républicain", "07/01/2023", "16:00", "Djougou", "Marché", "", "aucune", "", ""],
                      ["Les Démocrates", "07/01/2023", "16:00", "Natitingou", "Stade", "", "", "", ""],
                      ["Bloc républicain", "32/01/2023", "16:00", "Kandi", "Place", "", "", "", ""]])
    result, refused = submit_file(room, PARTY, data, "itineraires.csv")
    assert (result.received, result.accepted, result.duplicate, result.quarantined) == (4, 2, 0, 2)
    assert [(r.line_no, r.field) for r in refused] == [(4, "parti"), (5, "date")]
    assert "Les Démocrates" in refused[0].reason
    rows = room.raw_cursor().execute(
        "select place, source, protection_status, unit from main.rallies where ingest_seq = $s order by place",
        {"s": result.seq}).fetchall()
    # Its own rows, asking for protection (a party never grants itself one, or a unit), sent by its account.
    assert rows == [("Marché", "parti:parti", "aucune", None), ("Place Bio Guéra", "parti:parti", "demandee", None)]
    log = room.raw_cursor().execute("select n_received, n_accepted, n_duplicate, n_quarantined from main.ingest_log "
                                    "where seq = $s", {"s": result.seq}).fetchone()
    assert log == (4, 2, 0, 2)
    # Sent again: duplicates, nothing new.
    again, _ = submit_file(room, PARTY, data, "itineraires.csv")
    assert (again.accepted, again.duplicate) == (0, 2)
    # The form: one rally, through the same reader.
    one, refused = submit_one(room, PARTY, dt.date(2023, 1, 6), dt.time(9, 30), "Bohicon", "Esplanade", 800)
    assert (one.accepted, refused) == (1, [])
    assert room.cursor("party", "Bloc républicain").execute(
        "select count(*) from rallies where place = 'Esplanade' and protection_status = 'demandee' "
        "and starts_local = '2023-01-06 09:30'").fetchone()[0] == 1
    for user in (OPERATOR, User("x", "X", "party", "")):
        with pytest.raises(PermissionError):
            submit_one(room, user, dt.date(2023, 1, 6), dt.time(9), "Bohicon", None, None)


# -- accounts ------------------------------------------------------------------------------------------------

def test_party_accounts_name_their_party(tmp_path):
    path = tmp_path / "users.toml"
    path.write_text((FIXTURES / "users.toml").read_text(encoding="utf-8"), encoding="utf-8")
    changes = []
    accounts = AccountStore(path, on_change=lambda u, why: changes.append((u, why)))
    admin = accounts.users()["admin"]
    with pytest.raises(AuthError, match="parti"):
        accounts.create(admin, "liaison-ld", "Liaison", "party", "mot-de-passe-long")
    accounts.create(admin, "liaison-ld", "Liaison", "party", "mot-de-passe-long", party="Les Démocrates")
    assert load_users(path)["liaison-ld"].party == "Les Démocrates"
    accounts.update(admin, "liaison-ld", party="Bloc républicain")  # another party: its sessions end
    assert changes == [("liaison-ld", "role")] and load_users(path)["liaison-ld"].party == "Bloc républicain"
    accounts.update(admin, "liaison-ld", role="observer")
    assert load_users(path)["liaison-ld"].party is None  # only party accounts are tied to a party
    path.write_text(f'[users.p]\nrole = "party"\npassword_hash = "{hash_password("x" * 10)}"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="parti"):
        load_users(path)


# -- the page ------------------------------------------------------------------------------------------------

@pytest.fixture
def page_env(fixture_home, tmp_path, monkeypatch):
    """The fixture scenario copied (the page tests write decisions), served to AppTest."""
    import shutil

    home = tmp_path / "state"
    shutil.copytree(fixture_home, home, ignore=shutil.ignore_patterns("*.wal"))
    monkeypatch.setenv("VIGIE_HOME", str(home))
    monkeypatch.setenv("VIGIE_USERS", str(FIXTURES / "users.toml"))
    monkeypatch.setenv("VIGIE_CLOCK", "data")
    from vigie.ui import data

    data.get_store.clear()
    yield make_settings(home)
    data.get_store.clear()


USERS = {u.role: u for u in reversed(load_users(FIXTURES / "users.toml").values()) if not u.disabled}


def page(role: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = USERS[role]
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if role != "party":  # the party's only page is this one, its default
        at.switch_page(PAGE)
        at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def table_of(at: AppTest):
    return next(f.value for f in at.get("dataframe") if "n°" in f.value.columns or "rally_id" in f.value.columns)


def deck_points(at: AppTest) -> list[dict]:
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return next(layer["data"] for layer in deck["layers"] if layer["id"] == "rallies")


@pytest.mark.parametrize("role", ["admin", "operator", "observer", "journalist", "party"])
def test_page_for_every_role(page_env, role):
    at = page(role, {"meeting": "14"})
    assert at.title[0].value == "Meetings"
    frame = table_of(at)
    points = deck_points(at)
    assert len(points) == len(frame) > 0  # one marker per rally of the period
    columns = set(frame.columns)
    if role == "journalist":
        assert columns.isdisjoint({"protection", "unit", "source"})
        assert {p["status"] for p in points} == {""}
    else:
        assert "protection" in columns
    if role == "party":
        assert set(frame["party"]) == {"Bloc républicain"} and "n_incidents_near" not in columns
        assert at.get("tab"), "the party's submission forms are missing"
    else:
        assert len(set(frame["party"])) == 3
    # Rally 14 has a place with HTML in it: in the tooltip data without any angle bracket.
    assert all("<" not in p["place"] and ">" not in p["place"] for p in points)
    forms = {b.form_id for b in at.button if b.form_id}
    assert ("rally_14_form" in forms) == (role in ("admin", "operator")), forms


def test_an_operator_grants_protection_through_the_form(page_env):
    at = page("operator", {"meeting": "16"})  # Bloc républicain, two days after "today", status not given
    at.selectbox(key="rally_16_status").set_value("accordee")
    at.text_input(key="rally_16_unit").set_value("Commissariat central")
    at.button(key="FormSubmitter:rally_16_form-Enregistrer la décision").click().run()
    assert not at.exception and any("enregistrée" in s.value for s in at.success), [e.value for e in at.error]
    from vigie.ui import data

    row = data.get_store().raw_cursor().execute(
        "select protection_status, unit from main.rally_state where rally_id = 16").fetchone()
    assert row == ("accordee", "Commissariat central")
    # The party sees the answer.
    party = page("party")
    answered = table_of(party).set_index("n°" if "n°" in table_of(party).columns else "rally_id")
    assert "Commissariat central" in set(answered["unit"].dropna())


def test_a_stale_form_is_refused(page_env):
    at = page("operator", {"meeting": "13"})
    from vigie.ui import data

    RallyWorkflow(data.get_store()).decide(OTHER_OPERATOR, 13, 0, "accordee", "BAC")  # meanwhile
    at.selectbox(key="rally_13_status").set_value("refusee")
    at.text_input(key="rally_13_reason").set_value("pas d'effectifs")
    at.button(key="FormSubmitter:rally_13_form-Enregistrer la décision").click().run()
    assert any("modifié entre-temps" in e.value for e in at.error), [e.value for e in at.error]
    assert data.get_store().raw_cursor().execute(
        "select protection_status from main.rally_state where rally_id = 13").fetchone() == ("accordee",)


def test_a_party_cannot_open_another_partys_rally(page_env):
    rid = next(i + 1 for i, r in enumerate(fixture_rallies()) if r["parti"] != "Bloc républicain")
    at = page("party", {"meeting": str(rid)})
    assert any("introuvable" in w.value for w in at.warning)


def _detail(incident_id: int) -> None:  # run by AppTest as a script of its own
    from vigie.ui.context import get_context
    from vigie.ui.incident_view import render_detail

    render_detail(get_context(), incident_id)


def test_the_incident_detail_flags_rallies_nearby(page_env):
    from vigie.ui import data

    at = page("journalist")
    store = data.get_store()
    incident = store.cursor("journalist").execute(
        """select i.incident_id from incidents i join rallies r using (commune_code)
           where i.occurred_at between r.starts_at - interval 3 hour and r.starts_at + interval 6 hour
           order by 1 limit 1""").fetchone()[0]
    far = store.cursor("journalist").execute(
        """select incident_id from incidents i where not exists (select 1 from rallies r
           where r.commune_code = i.commune_code and i.occurred_at between r.starts_at - interval 3 hour
           and r.starts_at + interval 6 hour) order by 1 limit 1""").fetchone()[0]
    for shown, expected in ((incident, True), (far, False)):
        direct = AppTest.from_function(_detail, args=(int(shown),), default_timeout=60)
        direct.session_state["user"] = at.session_state["user"]
        direct.session_state["_ctx"] = at.session_state["_ctx"]
        direct.run()
        assert not direct.exception, direct.exception
        frames = [f.value for f in direct.get("dataframe") if "rally_id" in f.value.columns]
        assert bool(frames) == expected
        if frames:  # the press's view: who protects the rally stays in the room
            assert frames[0]["protection_status"].isna().all() and frames[0]["unit"].isna().all()
