"""The daily situation report: its figures, what each role's report may hold, hostile text, the command
line and the Rapport page.

One state folder for the module: the fixture scenario, plus what a report day needs that the shared
fixture lacks (rallies and claims of the day, incidents verified and escalated during the day, a report
whose text is full of Typst markup). Expected figures are computed here with pandas from the tables and
the audit trail, not through the report's queries or views.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pypdf
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import FIXTURES, make_settings
from tests.fixture_data import PII_MARKERS, build_fixture_state, rows_to_csv
from vigie import report
from vigie.config import ROOT
from vigie.ingest.inbox import drop_bytes, process_inbox
from vigie.report import sections
from vigie.store import Store

DAY = dt.date(2023, 1, 8)
ROLES = ["admin", "operator", "observer", "journalist"]
USERNAMES = {"admin": "admin", "operator": "operateur", "observer": "observateur", "journalist": "journaliste"}
# Typst markup in every kind of text a report prints: evaluated, any of these would fail the compilation
# or change what is printed.
HOSTILE = "#panic(\"pwned\") *gras* _it_ $x^2$ [lien](x) \\ <b> @ref // /* #let a ` ~"
SECRET_UNIT = "Unité-Secrète-42"
SECRET_NOTE = "note interne confidentielle"
HELD_TEXT = "Incident retenu Zorglub signalé à Cotonou"
UNVERIFIED_CLAIM = "Rumeur jamais vérifiée Xylophone"


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def squash(text: str) -> str:
    """Without any whitespace: a table cell may wrap a long text wherever a line may break."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("report") / "state"
    settings = make_settings(home)
    build_fixture_state(settings)
    extra = [
        {"id": "RP-1", "source": "rapport", "date": "08/01/2023 11:15", "latitude": "", "longitude": "",
         "commune": "Cotonou", "categorie": "violence", "gravite": "4", "description": HOSTILE, "nom": PII_MARKERS[0],
         "telephone": PII_MARKERS[1], "contact": PII_MARKERS[2]},
        {"id": "RP-2", "source": "rapport", "date": "05/01/2023 09:00", "latitude": "", "longitude": "",
         "commune": "Cotonou", "categorie": "menace", "gravite": "2", "description": HELD_TEXT,
         "nom": PII_MARKERS[0], "telephone": PII_MARKERS[1], "contact": PII_MARKERS[2]},
        {"id": "RP-3", "source": "rapport", "date": "06/01/2023 18:00", "latitude": "", "longitude": "",
         "commune": "Parakou", "categorie": "securite", "gravite": "3", "description": "Attaque transmise Parakou",
         "nom": PII_MARKERS[0], "telephone": PII_MARKERS[1], "contact": PII_MARKERS[2]},
    ]
    drop_bytes(settings.inbox, rows_to_csv(extra), "rapport.csv", source="rapport")
    drop_bytes(settings.inbox, _csv([
        ["N°", "Parti", "Date", "Heure", "Commune", "Lieu", "Affluence attendue", "Protection", "Unité"],
        ["R-1", HOSTILE, "08/01/2023", "15h", "Cotonou", "Place [Étoile] #rouge", "5 000",
         "Accordée", "CRS 3"],
        ["R-2", "Union progressiste", "08/01/2023", "9h30", "Parakou", "Stade", "2000", "demandée", ""],
        ["R-3", "Bloc de la veille", "07/01/2023", "10h", "Parakou", "Stade", "", "accordée", "CRS 9"],
    ]), "meetings.csv", source="police")
    drop_bytes(settings.inbox, _csv([
        ["plateforme", "lien", "texte", "vu le", "portée", "verdict", "lien démenti"],
        ["facebook", "https://facebook.com/posts/9001", HOSTILE, "08/01/2023 10:00", "12000",
         "faux", "https://verif.example.bj/9001#x$[1]"],
        ["whatsapp", "https://wa.me/9002", UNVERIFIED_CLAIM, "08/01/2023 11:00", "500", "", ""],
        ["x", "https://x.com/a/status/9003", "Affirmation de la veille Quetzal", "07/01/2023 11:00", "40", "vrai", ""],
    ]), "veille.csv", source="veille")
    store = Store.open(settings)
    try:
        results = process_inbox(store, settings)
        assert all(r.error is None for r in results), [r.summary() for r in results]
        cur = store.raw_cursor()
        ids = dict(cur.execute("select source_ref, incident_id from main.reports where source = 'rapport'").fetchall())
        events = [  # (incident, UTC time on the report day, field, value): the audit trail, dated
            (ids["RP-1"], "2023-01-08 10:30", "status", "verifie"),
            (ids["RP-2"], "2023-01-08 09:00", "status", "verifie"),
            (ids["RP-2"], "2023-01-08 09:01", "held", "true"),
            (ids["RP-3"], "2023-01-08 08:00", "status", "verifie"),
            (ids["RP-3"], "2023-01-08 12:00", "assigned_unit", SECRET_UNIT),
            (ids["RP-3"], "2023-01-08 12:00", "status", "transmis"),
            (ids["RP-3"], "2023-01-08 12:05", "note", SECRET_NOTE),
        ]
        for incident, at, field, value in events:
            cur.execute("""insert into main.status_events
                           select nextval('event_seq'), $i, $at, 'test', $f, null, $v, 'motif confidentiel'""",
                        {"i": incident, "at": at, "f": field, "v": value})
        store.bump()
    finally:
        store.close()
    return home


@pytest.fixture(scope="module")
def store(home):
    st = Store.open(make_settings(home))
    yield st
    st.close()


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, with its spaces (narrow, no-break) and line breaks as plain single spaces."""
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pages).replace("\u202f", " ").replace("\xa0", " "))


@pytest.fixture(scope="module")
def pdfs(store) -> dict[tuple[str, str], str]:
    return {(role, lang): pdf_text(report.make_pdf(store, role, DAY, lang)) for role in ROLES for lang in ("fr", "en")}


def expected(store, role: str) -> dict:
    """The day's figures from the tables and the audit trail, with pandas (not the report's SQL)."""
    cur = store.raw_cursor()
    incidents = cur.execute("select incident_id, occurred_local, commune_code, departement_code, severity "
                            "from main.incidents").df()
    events = cur.execute("select incident_id, event_id, field, to_value from main.status_events").df()
    reports = cur.execute("select incident_id, count(*) as n_reports from main.reports group by 1").df()
    latest = events.sort_values("event_id").groupby(["incident_id", "field"])["to_value"].last().unstack()
    frame = incidents.merge(latest, left_on="incident_id", right_index=True, how="left").merge(reports, how="left")
    frame["status"] = frame["status"].fillna("nouveau")
    frame["held"] = frame["held"].fillna("false") == "true"
    frame["severity"] = pd.to_numeric(frame["severity"])
    frame = frame[~frame["status"].isin(["faux", "doublon"])]
    if role == "journalist":
        frame = frame[frame["status"].isin(["verifie", "transmis", "clos"]) & ~frame["held"]]
    out = {}
    for label, day in (("today", DAY), ("before", DAY - dt.timedelta(days=1))):
        f = frame[frame["occurred_local"].dt.date == day]
        out[label] = {"incidents": len(f), "critical": int((f["severity"] == 4).sum()),
                      "serious": int((f["severity"] >= 3).sum()), "communes": f["commune_code"].nunique(),
                      "reports": int(f["n_reports"].sum()),
                      "to_verify": int(f["status"].isin(["nouveau", "en_verification"]).sum()),
                      "by_departement": f.groupby("departement_code").size().to_dict()}
    return out


# -- figures --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["operator", "observer", "journalist"])
def test_headline_figures_and_their_change_match_the_fixture(store, pdfs, role):
    want = expected(store, role)
    assert want["today"]["incidents"] > 0 and want["before"]["incidents"] > 0
    data = report.build(store, role, DAY, "fr")
    figures = {f["label"]: f for f in data["headline"]["figures"]}
    text = pdfs[(role, "fr")]
    names = {"incidents": "Incidents", "critical": "Critiques", "serious": "Graves ou critiques",
             "communes": "Communes touchées", "reports": "Signalements liés", "to_verify": "À vérifier"}
    if role == "journalist":
        names.pop("to_verify")  # nothing waits for verification in the press's view
        assert "À vérifier" not in figures
    for key, label in names.items():
        now, before = want["today"][key], want["before"][key]
        assert figures[label]["raw"] == now, key
        change = "± 0" if now == before else f"{'+' if now > before else '−'}{abs(now - before)}"
        assert f"{label} {now} {change} (veille : {before})" in text, (key, now, before)


@pytest.mark.parametrize("role", ["observer", "journalist"])
def test_incidents_by_departement_match_the_fixture(store, pdfs, role):
    want = expected(store, role)["today"]["by_departement"]
    names = dict(store.raw_cursor().execute("select departement_code, departement from main.departements").fetchall())
    rows = {row[0]: row for row in report.build(store, role, DAY, "fr")["by_area"]["rows"]}
    for code, name in names.items():
        assert rows[name][-2] == str(want.get(code, 0)), name  # the total column
    # The table's last row: each column's total, then the day's total and its critical incidents.
    totals = [m.split() for m in re.findall(r"Total((?: \d+)+)", pdfs[(role, "fr")])]
    assert any(len(t) > 2 and t[-2] == str(sum(want.values())) for t in totals), totals


def test_notable_incidents_critical_verified_and_escalated_today(store, pdfs):
    def why(role: str) -> dict[str, str]:
        rows = report.build(store, role, DAY, "fr")["notable"]["rows"]
        return {r["cells"][5]: r["cells"][7] for r in rows}

    observer, journalist = why("observer"), why("journalist")
    assert observer["Attaque transmise Parakou"] == "transmis, vérifié"  # verified then escalated, on the day
    assert observer[HELD_TEXT] == "vérifié"  # observers see held-back incidents
    assert observer[HOSTILE] == "critique, vérifié"
    assert journalist["Attaque transmise Parakou"] == "vérifié"  # the press's view has no escalation
    assert HELD_TEXT not in journalist
    for role, rows in (("observer", observer), ("journalist", journalist)):
        for title in rows:
            assert squash(title) in squash(pdfs[(role, "fr")])


def test_rallies_of_the_day_with_protection_for_the_situation_room_only(pdfs):
    operator, journalist = pdfs[("operator", "fr")], pdfs[("journalist", "fr")]
    for text in (operator, journalist):
        assert "Union progressiste" in text and "Place [Étoile] #rouge" in text
        assert "Bloc de la veille" not in text  # another day
    assert "accordée" in operator and "demandée" in operator and "CRS 3" in operator
    assert "1 meeting(s) sans protection accordée." in operator
    for word in ("Protection", "accordée", "demandée", "CRS 3", "sans protection"):
        assert word not in journalist


def test_claims_with_a_verdict_that_day(pdfs):
    for role in ROLES:
        text = pdfs[(role, "fr")]
        assert "https://verif.example.bj/9001#x$[1]" in squash(text) and "faux" in text
        assert UNVERIFIED_CLAIM not in text and "Quetzal" not in text


def test_open_alerts_section_lays_out_whatever_query_it_is_given(store, monkeypatch):
    """The section reads its columns by name from a list, so the alerts query can be wired in as it is."""
    monkeypatch.setitem(sections.QUERIES, "alerts", "latest_incidents")  # any query with these columns
    alerts = report.build(store, "operator", DAY, "fr")["alerts"]
    assert alerts["header"] == ["Heure", "Lieu", "Description", "Gravité"]
    assert alerts["rows"] and not alerts["note"]
    assert report.render_pdf(report.build(store, "operator", DAY, "fr")).startswith(b"%PDF")


def test_validity_and_days(store, pdfs):
    latest = store.cursor("observer").execute("select max(occurred_local) from incidents").fetchone()[0]
    assert f"Données arrêtées au {latest.day} janv. {latest.year} {latest:%H:%M}" in pdfs[("observer", "fr")]
    days = report.report_days(store.pack, DAY)
    assert days[0] == store.pack.election.start and days[-1] == store.pack.election.end and DAY in days


def test_english_report(pdfs):
    text = pdfs[("observer", "en")]
    assert "Daily situation report" in text and "Key figures of the day" in text
    assert "Sunday 8 January 2023" in text and "Notable incidents" in text


# -- what each role's report holds ------------------------------------------------------------------------
def test_journalist_report_holds_only_what_a_journalist_may_see(store, pdfs):
    unpublished = {row[0] for row in store.cursor("operator").execute(
        "select title from incidents where not published").fetchall()}
    assert HELD_TEXT in unpublished
    for lang in ("fr", "en"):
        text = pdfs[("journalist", lang)]
        for marker in (*PII_MARKERS, SECRET_UNIT, SECRET_NOTE, "motif confidentiel", "CRS 3", UNVERIFIED_CLAIM):
            assert marker not in text, marker
        for title in unpublished:
            assert " ".join(title.split()) not in text, title


@pytest.mark.parametrize("role", ["observer", "journalist"])
def test_no_reporter_identity_or_internal_note_outside_the_situation_room(pdfs, role):
    for marker in (*PII_MARKERS, SECRET_NOTE, "motif confidentiel"):
        assert marker not in pdfs[(role, "fr")]
    assert "[numéro masqué]" in pdfs[("observer", "fr")]  # the fixture's texts carry phone numbers


def test_admin_and_operator_get_the_same_scope(pdfs):
    strip = lambda text: re.sub(r"Rapport établi le [^·]*?\d\d:\d\d", "", text)  # noqa: E731
    assert strip(pdfs[("admin", "fr")]) == strip(pdfs[("operator", "fr")])


# -- hostile text ---------------------------------------------------------------------------------------
def test_hostile_text_is_printed_as_it_is(pdfs):
    """Markup in an incident, a rally and a claim: printed literally, nothing evaluated."""
    for role in ("operator", "observer", "journalist"):
        text = squash(pdfs[(role, "fr")])
        assert text.count(squash(HOSTILE)) == 3, role  # the incident, the rally's party, the claim
        assert "pwned" not in text.replace(squash(HOSTILE), "")


def test_every_field_of_the_template_takes_hostile_text(store):
    """Every string the template places, replaced by markup: the document still compiles and shows it."""
    data = report.build(store, "operator", DAY, "fr")
    svg = data["map"]["svg"]

    def poison(value, key=None):
        if isinstance(value, dict):
            return {k: poison(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [poison(v) for v in value]
        if isinstance(value, str) and key not in ("svg", "colour", "lang", "verdict"):
            return "#panic() *x* $y$ [z] \\ <w>"
        return value

    poisoned = poison(data)
    poisoned["map"]["svg"] = svg
    text = pdf_text(report.render_pdf(poisoned))
    assert squash(text).count(squash("#panic() *x* $y$ [z] \\ <w>")) > 50


def test_simulated_data_is_labelled(home, store, tmp_path):
    assert "SCÉNARIO SIMULÉ" not in pdf_text(report.make_pdf(store, "observer", DAY, "fr", simulated=False))
    assert "SCÉNARIO SIMULÉ" in pdf_text(report.make_pdf(store, "observer", DAY, "fr", simulated=True))
    assert "SIMULATED SCENARIO" in pdf_text(report.make_pdf(store, "observer", DAY, "en", simulated=True))
    assert not report.is_simulated(store)
    assert report.is_simulated(Store(store.con, store.pack, dataclasses.replace(make_settings(home), demo=True)))


def test_unknown_language_or_role_is_refused(store):
    with pytest.raises(report.ReportError):
        report.build(store, "observer", DAY, "de")
    with pytest.raises(report.ReportError):
        report.build(store, "intrus", DAY, "fr")


# -- command line ---------------------------------------------------------------------------------------
def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "VIGIE_HOME": str(home), "VIGIE_PACK": "benin", "VIGIE_DEMO": "0", "VIGIE_CLOCK": "data"}
    return subprocess.run([sys.executable, "-m", "vigie", "report", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_writes_the_report(tmp_path):
    """On a state folder that no process holds, as when no server runs. (Not a copy of the module's: reading
    a DuckDB file from the process that holds it drops the process's lock on it.)"""
    own = tmp_path / "state"
    build_fixture_state(make_settings(own))
    out = tmp_path / "rapport.pdf"
    done = run_cli(own, "--date", "2023-01-08", "--role", "journalist", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "Rapport du 08/01/2023" in done.stdout
    text = pdf_text(out.read_bytes())
    assert "Rapport de situation quotidien" in text and "dimanche 8 janvier 2023" in text
    for marker in PII_MARKERS:
        assert marker not in text


def test_cli_says_when_the_server_holds_the_database(home, store, tmp_path):
    done = run_cli(home, "--date", "2023-01-08", "--role", "observer", "-o", str(tmp_path / "r.pdf"))
    assert done.returncode == 3
    assert "serveur" in done.stderr and "page Rapport" in done.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_cli_refuses_bad_input(tmp_path):
    done = run_cli(tmp_path / "state", "--date", "08/01/2023", "--role", "observer")
    assert done.returncode == 2 and "AAAA-MM-JJ" in done.stderr
    done = run_cli(tmp_path / "state", "--date", "2023-01-08", "--role", "observer")
    assert done.returncode == 2 and "Aucune base" in done.stderr


# -- the Rapport page -----------------------------------------------------------------------------------
APP = str(ROOT / "app.py")


@pytest.fixture
def app_env(home, store, monkeypatch):
    monkeypatch.setenv("VIGIE_HOME", str(home))
    monkeypatch.setenv("VIGIE_USERS", str(FIXTURES / "users.toml"))
    monkeypatch.setenv("VIGIE_CLOCK", "data")
    from vigie.ui import data

    data.get_store.clear()  # a store of another test's state folder must not leak in
    yield data
    watcher = getattr(data.get_store(), "watcher", None)
    if watcher:
        watcher.stop()
        watcher.join(timeout=10)
    data.get_store.clear()


def on_report_page(role: str) -> AppTest:
    from vigie.auth import User

    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = User(USERNAMES[role], f"Test {role}", role, "", False)
    at.run()
    at.switch_page("pages/report.py")
    at.run()
    return at


@pytest.mark.parametrize("role", ROLES)
def test_report_page_for_every_role(app_env, role):
    at = on_report_page(role)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Rapport"
    latest = app_env.clock(role)
    assert at.date_input(key="report_day").value == latest.date()  # the data clock's day
    assert at.get("download_button")
    metrics = {m.label: m.value for m in at.metric}
    assert ("À vérifier" in metrics) == (role != "journalist")
    at.date_input(key="report_day").set_value(DAY).run()
    want = expected(app_env.get_store(), role)["today"]
    assert {m.label: m.value for m in at.metric}["Incidents"] == str(want["incidents"])
    # What the download button hands out: the cached render for this role and day.
    pdf = app_env.report_pdf(role, DAY, "fr")
    assert pdf == app_env.report_pdf(role, DAY, "fr")  # cached
    text = pdf_text(pdf)
    assert f"Incidents {want['incidents']} " in text
    if role == "journalist":
        assert HELD_TEXT not in text and PII_MARKERS[0] not in text


def test_report_page_in_english(app_env):
    at = on_report_page("observer")
    at.selectbox(key="lang").select("en").run()
    assert not at.exception and at.title[0].value == "Report"
