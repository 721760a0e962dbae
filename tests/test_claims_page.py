"""Désinformation: the page for every role, the verdict workflow and its conflicts, link suggestions on a
labelled set, what journalists and fact-checkers receive, spread, and hostile text in every claim field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import FIXTURES, make_settings
from tests.fixture_data import PII_MARKERS, build_fixture_state
from tests.test_rallies_claims import csv_bytes
from vigie import sql
from vigie.auth import User
from vigie.claims import SUGGEST_THRESHOLD, ClaimWorkflow, suggestions
from vigie.ingest.group import f1_by_threshold
from vigie.ingest.inbox import drop_bytes, process_inbox
from vigie.ingest.match import score_pairs
from vigie.store import ROLES, Store
from vigie.workflow import ConcurrentChange, Workflow, WorkflowError

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGE = "pages/claims.py"
LABELLED = FIXTURES / "claims" / "suggestions.csv"

CLAIM_URNES = "https://facebook.com/posts/urnes"
CLAIM_OPEN = "https://wa.me/rumeur/report"  # never given a verdict: journalists never see it
HOSTILE = {  # written straight into the table, as a feed bug or a future adapter might let through
    "platform": "<img src=x onerror=alert('platform')>",
    "url": "javascript:alert('url')",
    "text": "<script>alert('text')</script><a href=\"javascript:alert('a')\">clic</a>",
    "debunk_url": "javascript:alert('debunk')",
}
REPEATS = [  # disinformation reports repeating the first claim (from the labelled set)
    "On dit sur WhatsApp que les urnes sont déjà remplies de bulletins à Cotonou",
    "Rumeur : urnes deja remplies de bulletins a Cotonou avant le vote",
    "Message qui circule: bulletins deja dans les urnes a Cotonou avant le scrutin",
]
OTHERS = ["Les urnes sont déjà remplies de bulletins à Parakou avant le scrutin",
          "On annonce que les cartes d'électeur seront payantes à Cotonou"]
USERS = {role: User(name, name, role, "") for role, name in
         (("admin", "admin"), ("operator", "operateur"), ("observer", "observateur"),
          ("journalist", "journaliste"), ("factchecker", "verificateur"))}


def _report_rows(texts: list[str], category: str, first: int) -> list[list[str]]:
    return [["id", "source", "date", "commune", "categorie", "gravite", "description", "nom", "telephone"]] + [
        [f"CL-{first + i}", "reseaux_sociaux", f"05/01/2023 {9 + i:02d}:00", "Cotonou", category, "2", text,
         f"{PII_MARKERS[0]} claims", f"{PII_MARKERS[1]} 77"] for i, text in enumerate(texts)]


@pytest.fixture(scope="module")
def claims_home(tmp_path_factory) -> Path:
    """The page fixture scenario, plus disinformation reports, claims (one hostile), sightings and a verdict."""
    home = tmp_path_factory.mktemp("claims") / "state"
    settings = make_settings(home)
    build_fixture_state(settings)
    store = Store.open(settings)
    try:
        files = [
            (csv_bytes(_report_rows(REPEATS + OTHERS, "desinformation", 0)), "desinfo.csv"),
            (csv_bytes(_report_rows(["Les urnes sont déjà remplies de bulletins à Cotonou, dit un voisin"],
                                    "menace", 100)), "menace.csv"),
            (csv_bytes([["plateforme", "lien", "texte", "vu le", "portée"],
                        ["facebook", CLAIM_URNES, "Les urnes sont déjà remplies de bulletins à Cotonou avant le scrutin",
                         "05/01/2023 08:00", "2 000"],
                        ["whatsapp", CLAIM_OPEN, "Le scrutin est reporté au 15 janvier", "05/01/2023 09:00", "500"]]),
             "claims1.csv"),
            # Seen again three hours later, much further spread: a second sighting, not a second claim.
            (csv_bytes([["plateforme", "lien", "vu le", "portée"], ["facebook", CLAIM_URNES, "05/01/2023 11:00", "60k"]]),
             "claims2.csv"),
        ]
        for data, name in files:
            drop_bytes(settings.inbox, data, name)
            [result] = process_inbox(store, settings)
            assert result.error is None and result.accepted + result.duplicate == result.received, result.summary()
        cur = store.raw_cursor()
        cur.execute("""insert into main.claims
                       select max(claim_id) + 1, 0, $platform, $url, $text, timestamp '2023-01-05 12:00', 999,
                              'faux', $debunk_url, null from main.claims""", HOSTILE)
        store.bump()
    finally:
        store.close()
    return home


@pytest.fixture(scope="module")
def store(claims_home):
    st = Store.open(make_settings(claims_home))
    yield st
    st.close()


def claim_id(store, url: str) -> int:
    return store.raw_cursor().execute("select claim_id from main.claims where url = $u", {"u": url}).fetchone()[0]


def report_ids(store, texts: list[str]) -> list[int]:
    rows = store.raw_cursor().execute("select report_id, description from main.reports where list_contains($t, description)",
                                      {"t": texts}).fetchall()
    return sorted(r for r, _ in rows)


# -- the page, for every role ----------------------------------------------------------------------------------

@pytest.fixture
def app_env(claims_home, store, monkeypatch):
    monkeypatch.setenv("VIGIE_HOME", str(claims_home))
    monkeypatch.setenv("VIGIE_USERS", str(FIXTURES / "users.toml"))
    monkeypatch.setenv("VIGIE_CLOCK", "data")
    from vigie.ui import data

    # The page's store is the module's own (one DuckDB connection per file in a process).
    data.get_store.clear()
    monkeypatch.setattr(data, "get_store", lambda: store)
    yield


def page(role: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = USERS[role]
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if role != "factchecker":  # the factchecker's only page is this one, its default
        at.switch_page(PAGE)
        at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def shown(at: AppTest) -> str:
    parts = [str(e.proto) for kind in ("dataframe", "markdown", "caption", "metric", "text", "link_button", "title")
             for e in at.get(kind)]
    return "\n".join(parts)


# Every role whose navigation has the page (a party liaison's has only Meetings: tests/test_pages.py checks
# that it is refused here).
@pytest.mark.parametrize("role", [r for r in ROLES if r != "party"])
def test_page_for_every_role(app_env, store, role):
    at = page(role)
    assert at.title[0].value == "Désinformation"
    listed = set(at.get("dataframe")[0].value["n°"])
    assert claim_id(store, HOSTILE["url"]) in listed  # it has a verdict
    assert (claim_id(store, CLAIM_OPEN) in listed) == (role != "journalist")
    assert at.get("vega_lite_chart"), "the chart of claims per day is missing"
    # Opening a claim: its detail, its spread; journalists get no history or links.
    at = page(role, {"affirmation": str(claim_id(store, CLAIM_OPEN))})
    if role == "journalist":
        assert any("introuvable" in w.value for w in at.warning)
    else:
        assert any("Le scrutin est reporté" in t.value for t in at.text)


def test_filters_are_kept_in_the_url(app_env, store):
    at = page("operator", {"verdict": ["non_verifie", "<script>"], "plateforme": "whatsapp", "commune": "0801"})
    assert at.session_state["c_verdict"] == ["non_verifie"] and at.session_state["c_platform"] == ["whatsapp"]
    urls = set(at.get("dataframe")[0].value["Lien"].dropna()) if at.get("dataframe") else set()
    # Commune filter: a claim's commune is the one of the reports linked to it; none is linked yet.
    assert urls == set()
    at = page("operator", {"verdict": "non_verifie", "plateforme": "whatsapp"})
    assert set(at.get("dataframe")[0].value["Lien"].dropna()) == {CLAIM_OPEN}
    assert at.query_params["verdict"] in (["non_verifie"], "non_verifie")


def test_factchecker_has_only_this_page_and_no_incident(app_env, store):
    at = page("factchecker")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/incidents.py")
    with pytest.raises(PermissionError):
        sql.run(store, "factchecker", "incident_search", {**_filters(store), "q": "", "limit": 5, "offset": 0})
    assert store.cursor("factchecker").execute("select count(*) from incidents").fetchone()[0] == 0
    with pytest.raises(PermissionError):
        Workflow(store).set_status(USERS["factchecker"], {1: 0}, "verifie")


def _filters(store) -> dict:
    from vigie.filters import from_query_params

    return from_query_params({}, store.pack).params()


# -- the verdict workflow ---------------------------------------------------------------------------------------

def test_verdict_workflow_and_conflicts(store):
    flow = ClaimWorkflow(store)
    cid = claim_id(store, CLAIM_URNES)
    version = flow.version(cid)
    for role in ("observer", "journalist"):
        with pytest.raises(PermissionError):
            flow.give_verdict(USERS[role], cid, version, "faux", "non")
    with pytest.raises(WorkflowError, match="Verdict inconnu"):
        flow.give_verdict(USERS["factchecker"], cid, version, "peut-être", "non")
    with pytest.raises(WorkflowError, match="Justifiez"):
        flow.give_verdict(USERS["factchecker"], cid, version, "faux", "  ")
    for bad in ("javascript:alert(1)", "data:text/html,<b>x</b>", "https://ok.example/ javascript:x", "//x.example"):
        with pytest.raises(WorkflowError, match="http"):
            flow.give_verdict(USERS["factchecker"], cid, version, "faux", "CENA", bad)
    assert flow.version(cid) == version, "a refused action wrote nothing"

    flow.give_verdict(USERS["factchecker"], cid, version, "faux", "La CENA dément : urnes scellées devant témoins.",
                      "https://cena.bj/dementi")
    # The operator still looks at the claim as it was: refused, naming who did what and when.
    with pytest.raises(ConcurrentChange, match=r"verificateur : verdict → faux, à \d\d:\d\d UTC"):
        flow.give_verdict(USERS["operator"], cid, version, "trompeur", "autre avis")
    flow.give_verdict(USERS["operator"], cid, flow.version(cid), "trompeur", "Photo de 2019, hors contexte.")
    row = store.cursor("journalist").execute(
        "select verdict, justification, debunk_url, verdict_by from claims where claim_id = $c", {"c": cid}).fetchone()
    assert row == ("trompeur", "Photo de 2019, hors contexte.", None, None)
    history = sql.run(store, "factchecker", "claim_history", {"claim_id": cid})
    assert list(history["verdict"]) == ["trompeur", "faux"] and list(history["actor"]) == ["operateur", "verificateur"]
    # The daily report lists the claims given a verdict that day (UTC today: the events' time).
    today = dt.datetime.now(dt.UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    day = sql.run(store, "journalist", "report_claims_day",
                  {"utc_from": today, "utc_to": today + dt.timedelta(days=1), "limit": 20})
    assert cid in set(day["claim_id"])
    before = sql.run(store, "journalist", "report_claims_day",
                     {"utc_from": dt.datetime(2023, 1, 5), "utc_to": dt.datetime(2023, 1, 6), "limit": 20})
    assert cid not in set(before["claim_id"])


# -- suggestions and links --------------------------------------------------------------------------------------

def test_threshold_on_the_labelled_set():
    """The labelled pairs (claim, report, does the report repeat the claim): 64 pairs over 8 claims, with
    near misses (another commune, time, amount or candidate). The chosen threshold keeps every repeat."""
    pairs = pd.read_csv(LABELLED, sep=";")
    assert len(pairs) >= 60 and pairs["repeats"].sum() >= 30
    table = f1_by_threshold(score_pairs(pairs["claim"].tolist(), pairs["report"].tolist()), pairs["repeats"] == 1)
    chosen = table.set_index("threshold").loc[int(SUGGEST_THRESHOLD)]
    assert chosen["recall"] == 1.0 and chosen["precision"] >= 0.9, chosen
    assert chosen["f1"] >= table["f1"].max() - 0.02


def test_suggestions_and_links(store):
    flow = ClaimWorkflow(store)
    cid = claim_id(store, CLAIM_URNES)
    repeats, others = report_ids(store, REPEATS), report_ids(store, OTHERS)
    menace = report_ids(store, ["Les urnes sont déjà remplies de bulletins à Cotonou, dit un voisin"])
    got = suggestions(store, "factchecker", cid)
    assert set(got["report_id"]) == set(repeats), got[["report_id", "description", "score"]]
    assert not set(got.columns) & {"reporter_name", "reporter_phone", "reporter_contact", "raw"}
    # A fact-checker links disinformation reports, not incidents nor reports outside its scope.
    with pytest.raises(PermissionError):
        flow.link(USERS["factchecker"], cid, flow.version(cid), incident_ids=[repeats[0]])
    with pytest.raises(WorkflowError, match="Introuvable"):
        flow.link(USERS["factchecker"], cid, flow.version(cid), report_ids=menace)
    flow.link(USERS["factchecker"], cid, flow.version(cid), report_ids=repeats[:2])
    stale = flow.version(cid)
    flow.link(USERS["operator"], cid, stale, report_ids=[repeats[2]])
    with pytest.raises(ConcurrentChange, match="operateur : lien → signalement"):
        flow.link(USERS["factchecker"], cid, stale, report_ids=[repeats[2]], undo=True)
    assert set(suggestions(store, "factchecker", cid)["report_id"]) == set()
    linked = sql.run(store, "factchecker", "claim_linked", {"claim_id": cid})
    assert set(linked["report_id"]) == set(repeats)
    assert not linked["description"].astype(str).str.contains(PII_MARKERS[1], regex=False).any()
    # The linked report's incident shows the claim and its verdict.
    incident = int(linked["incident_id"].iloc[0])
    shown_claims = sql.run(store, "operator", "incident_claims", {"incident_id": incident})
    assert list(shown_claims["claim_id"]) == [cid]
    flow.link(USERS["factchecker"], cid, flow.version(cid), report_ids=[repeats[2]], undo=True)
    assert set(sql.run(store, "factchecker", "claim_linked", {"claim_id": cid})["report_id"]) == set(repeats[:2])
    assert repeats[2] in set(suggestions(store, "factchecker", cid)["report_id"])
    commune = store.cursor("operator").execute("select commune_code from claims where claim_id = $c",
                                               {"c": cid}).fetchone()[0]
    assert commune == store.cursor("operator").execute(
        "select commune_code from reports where report_id = $r", {"r": repeats[0]}).fetchone()[0]
    assert set(others).isdisjoint(suggestions(store, "factchecker", cid)["report_id"])


def test_incident_detail_shows_its_claim(app_env, store):
    cid = claim_id(store, CLAIM_URNES)
    flow = ClaimWorkflow(store)
    [rid] = report_ids(store, REPEATS[:1])
    if rid not in set(sql.run(store, "operator", "claim_linked", {"claim_id": cid})["report_id"]):
        flow.link(USERS["operator"], cid, flow.version(cid), report_ids=[rid])
    incident = store.cursor("operator").execute("select incident_id from reports where report_id = $r",
                                                {"r": rid}).fetchone()[0]
    def script(incident_id: int):
        import streamlit as st

        from vigie.auth import User
        from vigie.ui.context import PageContext
        from vigie.ui.incident_view import render_detail
        from vigie.ui import data

        render_detail(PageContext(User("operateur", "op", "operator", ""), data.get_store().pack, None), incident_id)

    at = AppTest.from_function(script, args=(incident,), default_timeout=60).run()
    assert not at.exception, at.exception
    frames = [f.value for f in at.get("dataframe") if "Verdict" in f.value.columns]
    assert frames and cid in set(frames[0]["n°"]), "the incident's claim and verdict are not shown"


# -- what each role receives ------------------------------------------------------------------------------------

JOURNALIST_CLAIM_COLUMNS = {"claim_id", "ingest_seq", "platform", "url", "text", "first_seen", "reach", "n_sightings",
                            "last_seen", "verdict", "justification", "debunk_url", "verdict_at", "verdict_by",
                            "version", "commune_code", "n_linked"}
REPORTER_FIELDS = {"reporter_name", "reporter_phone", "reporter_contact", "raw", "nom", "telephone", "contact"}


def _every_claims_query(store, role: str) -> tuple[set[str], list[pd.DataFrame]]:
    cid = claim_id(store, CLAIM_URNES)
    values = {**_filters(store), "verdicts": [], "platforms": [], "search": "", "limit": 100, "claim_id": cid,
              "now": dt.datetime(2023, 1, 5, 12), "utc_from": dt.datetime(2000, 1, 1), "utc_to": dt.datetime(2100, 1, 1),
              "date_from": dt.datetime(2000, 1, 1), "date_to": dt.datetime(2100, 1, 1), "incident_id": 1}
    columns: set[str] = set()
    frames = []
    for name in sql.names():
        query = sql.load(name)
        if role not in query.roles or not ("claim" in name or name in ("report_claims_day", "incident_claims")):
            continue
        frame = sql.run(store, role, name, {k: v for k, v in values.items() if k in query.params})
        columns |= set(frame.columns)
        frames.append(frame)
    return columns, frames


def test_every_column_a_journalist_and_a_factchecker_receive(store):
    """Every column of every claims query, listed: none is a reporter field; journalists never receive who
    checked or linked a claim, nor a claim without a verdict."""
    journalist, frames = _every_claims_query(store, "journalist")
    assert journalist == JOURNALIST_CLAIM_COLUMNS | {"day", "n_claims", "seen_at", "n", "n_total"}
    for frame in frames:
        if "verdict" in frame.columns and "n_claims" not in frame.columns:
            assert frame["verdict"].notna().all()
        for column in ("verdict_by", "n_linked", "ingest_seq"):
            if column in frame.columns:
                assert frame[column].isna().all(), column
    assert CLAIM_OPEN not in set(sql.run(store, "journalist", "claims_list", {
        "verdicts": [], "platforms": [], "search": "", "limit": 100, "communes": [],
        "date_from": dt.datetime(2000, 1, 1), "date_to": dt.datetime(2100, 1, 1)})["url"])
    for role in ("journalist", "factchecker"):
        columns, _ = _every_claims_query(store, role)
        assert columns.isdisjoint(REPORTER_FIELDS), columns & REPORTER_FIELDS
    factchecker, _ = _every_claims_query(store, "factchecker")
    assert factchecker == JOURNALIST_CLAIM_COLUMNS | {
        "day", "n_claims", "seen_at", "n", "event_id", "at_time", "actor", "kind", "report_id", "incident_id",
        "linked_by", "linked_at", "occurred_local", "description", "claim_id", "reach_before", "reach_now",
        "growth", "occurred_at"}
    reports = store.cursor("factchecker").execute("select * from reports").df()
    assert set(reports.columns) == {"report_id", "incident_id", "source", "received_at", "occurred_at",
                                    "occurred_local", "commune_code", "category", "description"}
    assert not reports["description"].str.contains(PII_MARKERS[1], regex=False).any()


# -- spread -----------------------------------------------------------------------------------------------------

def test_each_sighting_is_kept_and_fast_spread_is_found(store):
    cid = claim_id(store, CLAIM_URNES)
    sightings = sql.run(store, "observer", "claim_sightings", {"claim_id": cid})
    assert list(sightings["reach"]) == [2_000, 60_000]
    assert int(store.cursor("observer").execute("select reach from claims where claim_id = $c",
                                                {"c": cid}).fetchone()[0]) == 60_000
    at_noon = sql.run(store, "operator", "claims_spreading", {"now": dt.datetime(2023, 1, 5, 12)})
    row = at_noon.set_index("claim_id").loc[cid]
    assert (row["reach_before"], row["reach_now"], row["growth"]) == (2_000, 60_000, 58_000)
    assert at_noon["claim_id"].is_unique
    # Sightings are in UTC (10:00 for the second). Six hours on, nothing grew within the window; before the
    # second sighting, nothing had grown.
    assert cid not in set(sql.run(store, "operator", "claims_spreading", {"now": dt.datetime(2023, 1, 5, 18)})["claim_id"])
    assert cid not in set(sql.run(store, "operator", "claims_spreading", {"now": dt.datetime(2023, 1, 5, 9, 30)})["claim_id"])


def test_a_claim_found_true_does_not_spread_an_alert(store, claims_home):
    flow = ClaimWorkflow(store)
    cid = claim_id(store, CLAIM_OPEN)
    cur = store.raw_cursor()
    cur.execute("insert into main.claim_sightings values ($c, 0, timestamp '2023-01-05 11:30', 40000)", {"c": cid})
    store.bump()
    assert cid in set(sql.run(store, "operator", "claims_spreading", {"now": dt.datetime(2023, 1, 5, 12)})["claim_id"])
    flow.give_verdict(USERS["factchecker"], cid, flow.version(cid), "vrai", "Confirmé par la CENA.")
    assert cid not in set(sql.run(store, "operator", "claims_spreading", {"now": dt.datetime(2023, 1, 5, 12)})["claim_id"])


# -- hostile text -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["operator", "journalist", "factchecker"])
def test_hostile_claim_fields_are_text_and_never_links(app_env, store, role):
    hostile = claim_id(store, HOSTILE["url"])
    at = page(role, {"affirmation": str(hostile)})
    table = at.get("dataframe")[0].value
    row = table[table["n°"] == hostile].iloc[0]
    assert pd.isna(row["Lien"]) and pd.isna(row["Démenti"]), "a javascript: link reached a link column"
    assert row["Texte"] == HOSTILE["text"] and row["Plateforme"] == HOSTILE["platform"]
    assert any(t.value == HOSTILE["text"] for t in at.text), "the text is not shown as plain text"
    for button in at.get("link_button"):
        assert button.proto.url.startswith(("http://", "https://"))
    payload = "\n".join(str(e.proto) for kind in ("markdown", "caption") for e in at.get(kind))
    assert "<script>" not in payload and "onerror" not in payload
    assert "javascript:" not in "\n".join(str(b.proto) for b in at.get("link_button"))


# -- the page's actions -----------------------------------------------------------------------------------------

def test_verdict_and_link_through_the_page(app_env, store):
    cid = claim_id(store, CLAIM_OPEN)
    at = page("factchecker", {"affirmation": str(cid)})
    assert at.text_area(key=f"claim_justification_{cid}") is not None
    at.segmented_control(key=f"claim_verdict_{cid}").set_value("trompeur")
    at.text_area(key=f"claim_justification_{cid}").input("Vieille rumeur de 2019, reprise hors contexte.")
    at.text_input(key=f"claim_debunk_{cid}").input("javascript:alert(1)")
    at.button(key=f"claim_save_{cid}").click().run()
    assert any("http" in e.value for e in at.error), "a javascript: debunk link was not refused"
    at.text_input(key=f"claim_debunk_{cid}").input("https://factcheck.example/rumeur")
    at.button(key=f"claim_save_{cid}").click().run()
    assert not at.error, [e.value for e in at.error]
    assert at.success
    row = store.cursor("journalist").execute("select verdict, debunk_url from claims where claim_id = $c",
                                             {"c": cid}).fetchone()
    assert row == ("trompeur", "https://factcheck.example/rumeur")
    # Observers read the claim, its history and links, and get no action.
    at = page("observer", {"affirmation": str(cid)})
    assert not at.get("button") or all(not b.key or not b.key.startswith("claim_") for b in at.button)
    assert any(f.value.shape[0] and "actor" in f.value.columns for f in at.get("dataframe"))
