"""Page logic with Streamlit's AppTest: every page for every role, login, URL filters, escaping."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import FIXTURES
from tests.fixture_data import PII_MARKERS
from vigie.auth import User, load_users
from vigie.store import ROLES

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
# Every page file, found, not listed: a page added to the navigation is in every test below.
PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))
# One active account per role of tests/fixtures/users.toml: sessions are checked against the accounts
# file on every run, so a session's user must exist there with its role.
USERNAMES = {u.role: u.username for u in reversed(load_users(FIXTURES / "users.toml").values()) if not u.disabled}
# The party a party liaison's account speaks for (its views are bound to it).
PARTIES = {u.role: u.party for u in load_users(FIXTURES / "users.toml").values() if u.party}
NOT_ROUTED = "Could not find a navigation page"


@pytest.fixture
def app_env(fixture_home, monkeypatch):
    monkeypatch.setenv("VIGIE_HOME", str(fixture_home))
    monkeypatch.setenv("VIGIE_USERS", str(FIXTURES / "users.toml"))
    monkeypatch.setenv("VIGIE_CLOCK", "data")
    from vigie.ui import data

    data.get_store.clear()  # a store of another test's state folder must not leak in
    yield
    data.get_store.clear()


def logged_in(role: str, page: str | None = None, query: dict | None = None) -> AppTest:
    assert role in USERNAMES, f"tests/fixtures/users.toml needs an active account with the role {role!r}"
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = User(USERNAMES[role], f"Test {role}", role, "", False, PARTIES.get(role))
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def all_text(at: AppTest) -> str:
    """Everything the script sent to the browser for this run, as text."""
    parts = []
    parts.extend(str(e.proto) for e in at.get("dataframe"))
    parts.extend(str(e.proto) for e in at.get("deck_gl_json_chart"))
    parts.extend(str(e.proto) for e in at.get("markdown"))
    parts.extend(str(e.proto) for e in at.get("caption"))
    parts.extend(str(e.proto) for e in at.get("metric"))
    return "\n".join(parts)


def opened(role: str, page: str) -> tuple[AppTest, bool]:
    """What a `role` session gets from `page`: through the navigation when its role has the page there
    (True), else the page file run directly with the session's context, as a forged route would."""
    at = logged_in(role)
    try:
        at.switch_page(page)
    except ValueError as exc:
        assert NOT_ROUTED in str(exc), exc
        direct = AppTest.from_file(str(ROOT / page), default_timeout=60)
        direct.session_state["user"] = at.session_state["user"]
        direct.session_state["_ctx"] = at.session_state["_ctx"]
        return direct.run(), False
    return at.run(), True


DATA_ELEMENTS = ("dataframe", "deck_gl_json_chart", "metric", "vega_lite_chart", "table")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_for_every_role(app_env, role, page):
    """A page in the role's navigation runs without error; a page outside it, opened anyway, refuses
    the role with a message: no exception, no data."""
    at, routed = opened(role, page)
    assert not at.exception, at.exception
    if routed:
        assert not at.error, [e.value for e in at.error]
    else:
        assert at.error, f"{page} is not in the {role} navigation but does not refuse the role itself"
        shown = [kind for kind in DATA_ELEMENTS if at.get(kind)]
        assert not shown, f"{page} refused {role} but still sent {shown}"


def test_the_page_files_are_the_pages_of_the_navigation(app_env):
    """The glob above finds exactly the pages app.py registers (logged out every page is registered,
    hidden, and each role's navigation is a part of them), so no page escapes the tests."""
    registered: set[str] = set()
    for at in [AppTest.from_file(APP, default_timeout=60).run(), *(logged_in(role) for role in ROLES)]:
        # AppTest's record of what st.navigation registered in the run (the test harness's own state).
        registered |= {str(Path(info["script_path"]).resolve().relative_to(ROOT))
                       for info in at._registered_pages.values() if info.get("script_path")}
    assert registered == set(PAGES)


def test_login_required(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.text_input(key="login_username") is not None
    assert not at.get("deck_gl_json_chart")
    assert not at.get("dataframe")


def test_login_with_password_and_refusals(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_username").input("observateur")
    at.text_input(key="login_password").input("mauvais")
    at.button[0].click().run()
    assert at.error and "incorrect" in at.error[0].value
    at.text_input(key="login_password").input("test-observateur")
    at.button[0].click().run()
    assert at.session_state["user"].role == "observer"
    assert at.get("deck_gl_json_chart")


def test_a_password_login_is_a_session_that_logout_revokes(app_env):
    """The cookie itself needs the browser (tests/e2e/test_session_cookie.py); the session behind it is
    opened at login and revoked at logout, so a cookie the browser kept no longer opens anything."""
    from vigie import sessions
    from vigie.ui import data

    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_username").input("observateur")
    at.text_input(key="login_password").input("test-observateur")
    at.button[0].click().run()
    session = at.session_state["_session"]
    assert (session.username, session.role) == ("observateur", "observer")
    assert not sessions.is_revoked(data.get_store(), session)
    at.button(key="logout").click().run()
    assert "user" not in at.session_state and "_session" not in at.session_state
    assert sessions.is_revoked(data.get_store(), session)
    assert at.text_input(key="login_username") is not None


def test_disabled_account_cannot_log_in(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_username").input("ancien")
    at.text_input(key="login_password").input("test-ancien")
    at.button[0].click().run()
    assert "user" not in at.session_state
    assert at.error


def test_map_is_offline_choropleth_with_escaped_tooltips(app_env, fixture_store):
    commune, day = fixture_store.cursor("operator").execute(
        "select commune_code, cast(occurred_local as date) from incidents where title like '%<script>%'").fetchone()
    # Narrow the view to the hostile report's commune and day, so it is the one the tooltip shows.
    at = logged_in("operator", "pages/map.py", query={"commune": commune, "du": str(day), "au": str(day)})
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    communes = next(layer for layer in deck["layers"] if layer["id"] == "communes")
    features = communes["data"]["features"]
    assert len(features) == 77
    payload = json.dumps(deck)
    assert "cartocdn" not in payload and "mapbox" not in payload.lower()
    assert deck.get("mapStyle", "").endswith("blank-style.json")
    assert "<script>" not in payload and "<img" not in payload
    hostile = next(f for f in features if f["properties"]["commune_code"] == commune)
    # No markup can reach the HTML tooltip: angle brackets become look-alike quotes (see vigie.ui.maps).
    latest = hostile["properties"]["latest"]
    assert "script" in latest and "<" not in latest and ">" not in latest
    assert len(payload.encode()) < 300_000


def test_url_filters_are_applied_and_written_back(app_env):
    at = logged_in("operator", query={"cat": "violence", "grav": ["3", "4"], "commune": "0801"})
    assert at.session_state["f_cat"] == ["violence"]
    assert at.session_state["f_grav"] == [3, 4]
    assert at.query_params["cat"] == ["violence"] or at.query_params["cat"] == "violence"


def test_forged_url_filters_are_dropped(app_env):
    at = logged_in("journalist", query={"cat": "<script>x</script>", "statut": "nouveau", "grav": "1 or 1=1"})
    assert not at.exception
    assert at.session_state["f_cat"] == [] and at.session_state["f_grav"] == []


def test_english_interface(app_env):
    at = logged_in("observer")
    at.selectbox(key="lang").select("en").run()
    assert at.title[0].value == "Overview"


@pytest.mark.parametrize("page", PAGES)
def test_journalist_never_receives_reporter_fields_or_unpublished(app_env, fixture_store, page):
    at, _routed = opened("journalist", page)
    text = all_text(at)
    for marker in PII_MARKERS:
        assert marker not in text
    hidden = fixture_store.cursor("operator").execute(
        "select title from incidents where not published").fetchall()
    shown_titles = set()
    for frame in at.get("dataframe"):
        shown_titles |= set(map(str, frame.value.get("Description", [])))
    assert shown_titles.isdisjoint({row[0] for row in hidden})


def test_operator_pages_are_not_routed_for_other_roles(app_env):
    for role in ("observer", "journalist"):
        at = logged_in(role)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("pages/triage.py")


@pytest.mark.parametrize("page,title", [("pages/triage.py", "Triage"), ("pages/sources.py", "Sources")])
def test_operator_pages_for_operators(app_env, page, title):
    at = logged_in("operator", page)
    assert not at.exception and not at.error
    assert at.title[0].value == title


def test_accounts_page_for_admins_only(app_env):
    at = logged_in("admin", "pages/admin.py")
    assert not at.exception and not at.error
    assert at.title[0].value == "Comptes"
    at = logged_in("operator")
    with pytest.raises(ValueError):
        at.switch_page("pages/admin.py")


def test_open_session_ends_when_the_account_is_disabled(app_env, tmp_path, monkeypatch):
    import shutil

    users = tmp_path / "users.toml"
    shutil.copy(FIXTURES / "users.toml", users)
    monkeypatch.setenv("VIGIE_USERS", str(users))
    at = logged_in("observer")
    assert at.get("deck_gl_json_chart")
    users.write_text(users.read_text().replace('role = "observer"', 'role = "observer"\ndisabled = true', 1))
    at.run()
    assert "user" not in at.session_state
    assert at.text_input(key="login_username") is not None


REPORTER_FIELDS = {"reporter_name", "reporter_phone", "reporter_contact", "raw", "nom", "telephone", "contact"}


def test_every_column_a_journalist_receives_is_listed_and_none_is_a_reporter_field(app_env, fixture_store):
    """Pages, map payloads, query results behind them and exports: list the columns, check each."""
    from vigie import sql
    from vigie.filters import from_query_params

    received: set[str] = set()
    for page in PAGES:
        at, _routed = opened("journalist", page)
        for frame in at.get("dataframe"):
            received |= set(map(str, frame.value.columns))
        for deck in at.get("deck_gl_json_chart"):
            for layer in json.loads(deck.proto.json)["layers"]:
                data = layer.get("data")
                if isinstance(data, dict):
                    for feature in data.get("features", []):
                        received |= set(feature.get("properties", {}))
                elif isinstance(data, list) and data:
                    received |= set(data[0])
    params = from_query_params({}, fixture_store.pack).params()
    extra = {"q": "", "limit": 50, "offset": 0, "bucket": "day", "incident_id": 1, "now": params["date_to"],
             "today": params["date_to"].date(), "platforms": [], "search": "", "verdicts": [], "claim_id": 1,
             "rally_id": 1, "before_hours": 3, "after_hours": 6}
    # The daily report's queries: a day, and its bounds in UTC (the audit trail's time).
    extra |= {"day": params["date_from"].date(), "utc_from": params["date_from"], "utc_to": params["date_to"]}
    for name in sql.names():
        query = sql.load(name)
        if "journalist" not in query.roles:
            continue
        values = {k: v for k, v in {**params, **extra}.items() if k in query.params}
        received |= set(sql.run(fixture_store, "journalist", name, values).columns)
    assert received, "nothing collected: the test would prove nothing"
    assert received.isdisjoint(REPORTER_FIELDS), received & REPORTER_FIELDS
    assert "assigned_unit" not in received or fixture_store.cursor("journalist").execute(
        "select count(*) from incidents where assigned_unit is not null").fetchone()[0] == 0


def test_map_payload_with_points_stays_small(app_env):
    at = logged_in("operator", "pages/map.py")
    at.toggle(key="map_points").set_value(True).run()
    deck = at.get("deck_gl_json_chart")[0].proto.json
    assert any(layer["id"] == "incidents" for layer in json.loads(deck)["layers"])
    assert len(deck.encode()) < 300_000


def test_points_beyond_the_payload_budget_are_left_out_oldest_first():
    from vigie.geo import load_pack
    from vigie.ui import maps

    pack = load_pack("benin")
    n = maps.MAX_POINTS
    points = pd.DataFrame({
        "incident_id": range(n), "lat": 6.3 + np.arange(n) * 1e-4, "lon": 2.4 + np.arange(n) * 1e-4,
        "category": "violence", "severity": 3, "status": "nouveau",
        "occurred_local": pd.date_range("2023-01-08 18:00", periods=n, freq="-1min"),
        "title": [f"Incident n°{i} : " + "é" * 200 for i in range(n)],  # long titles, as many as allowed
    })
    by_commune = pack.communes[["commune_code", "commune", "departement"]].assign(n_incidents=1)
    geojson = maps.choropleth_geojson(pack, by_commune, "n_incidents", {}, "fr")
    deck, shown = maps.choropleth_deck(pack, geojson, "fr", points)
    payload = deck.to_json()
    assert len(payload.encode()) <= maps.PAYLOAD_BUDGET
    assert 0 < shown < n
    layer = next(layer for layer in json.loads(payload)["layers"] if layer["id"] == "incidents")
    assert len(layer["data"]) == shown
    assert layer["data"][0]["latest"].startswith("Incident n°0 ")  # the newest are the ones kept
    assert maps.choropleth_deck(pack, geojson, "fr", points.head(10))[1] == 10


@pytest.mark.parametrize("pack", ["benin", "niger", "mali"])
def test_commune_outlines_fit_the_payload_budget_for_every_pack(pack):
    from vigie.geo import load_pack
    from vigie.ui.maps import GEOMETRY_BUDGET, commune_features

    features = commune_features(pack)
    assert len(features) == len(load_pack(pack).communes)
    assert sum(map(len, features)) <= GEOMETRY_BUDGET
    assert all('"Polygon"' in f or '"MultiPolygon"' in f for f in features)  # none collapsed away
