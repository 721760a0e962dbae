"""Grouping near-duplicate reports into incidents, through the real inbox path into real DuckDB files.

Reports go in as native CSV files (drop_bytes + process_inbox); what the operator and the dashboard see
is read back through the role views and the query files. The threshold is checked on the labelled pairs
in tests/fixtures/grouping/.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import make_settings
from vigie import sql
from vigie.auth import User
from vigie.filters import from_query_params
from vigie.ingest import group, match
from vigie.ingest.inbox import drop_bytes, process_inbox
from vigie.server import open_store
from vigie.store import Store
from vigie.text import match_key
from vigie.workflow import Workflow

LABELLED = Path(__file__).parent / "fixtures" / "grouping" / "labelled_pairs.csv"
HEADER = ["id", "source", "date", "commune", "categorie", "gravite", "description"]
OP = User("op1", "Opératrice 1", "operator", "")

CLASH = "Affrontements entre militants de deux partis à Godomey, beaucoup de blessés"
CLASH_SMS = "affrontemnt a godomey bcp de blesses"


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\n").writerows([HEADER, *rows])
    return buffer.getvalue().encode("utf-8")


def ingest(store, settings, rows: list[list[str]], name: str = "lot.csv"):
    drop_bytes(settings.inbox, csv_bytes(rows), name)
    results = process_inbox(store, settings)
    assert [r.error for r in results] == [None] * len(results)
    return results


def groups(store) -> dict[str, str]:
    """source_ref → source_ref of the report that founded its incident, as the operator sees it."""
    frame = store.cursor("operator").execute(
        "select source_ref, incident_id, report_id from reports order by report_id").df()
    founder = frame.groupby("incident_id")["source_ref"].transform("first")
    return dict(zip(frame["source_ref"], founder))


def partition(store) -> set[frozenset[str]]:
    frame = store.cursor("operator").execute("select incident_id, source_ref from reports").df()
    return {frozenset(refs) for _, refs in frame.groupby("incident_id")["source_ref"]}


def counts(store) -> tuple[int, int]:
    return store.raw_cursor().execute(
        "select (select count(*) from reports), (select count(*) from incidents)").fetchone()


# -- the labelled pairs: how the default threshold was chosen ------------------------------------------

def test_default_threshold_is_the_best_on_the_labelled_pairs():
    pairs = pd.read_csv(LABELLED)
    assert len(pairs) >= 120 and set(pairs["same_event"]) == {0, 1}
    table = group.f1_by_threshold(match.score_pairs(pairs["text_a"].tolist(), pairs["text_b"].tolist()),
                                  pairs["same_event"]).set_index("threshold")
    best = table["f1"].max()
    best_range = table.index[table["f1"] >= best - 0.01]
    default = group.DEFAULT_THRESHOLD
    assert best_range.min() <= default <= best_range.max(), table.loc[best_range]
    at_default = table.loc[int(default)]
    assert at_default["f1"] == pytest.approx(best), "the default maximises F1"
    assert at_default["precision"] >= 0.9 and at_default["recall"] >= 0.9, at_default


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("VIGIE_GROUP_WINDOW_HOURS", "12")
    monkeypatch.setenv("VIGIE_GROUP_THRESHOLD", "80,5")
    assert group.GroupSettings.from_env() == group.GroupSettings(12.0, 80.5)
    monkeypatch.setenv("VIGIE_GROUP_THRESHOLD", "beaucoup")  # a bad value falls back to the default
    monkeypatch.delenv("VIGIE_GROUP_WINDOW_HOURS")
    assert group.GroupSettings.from_env() == group.GroupSettings()


def test_the_veto_separates_different_polling_stations_but_not_an_sms():
    station3 = "Bourrage d'urne signalé au bureau de vote n°3 de l'EPP Tokpota"
    scores = match.score_pairs(
        [station3, station3, station3],
        ["Bourrage d'urne signalé au bureau de vote n°7 de l'EPP Tokpota", "bourrage durne bv 3 epp tokpota",
         "Selon la police : bourrage d'urne signalé au bureau de vote n°3 de l'EPP Tokpota"])
    assert scores[0] == 0 and scores[1] >= group.DEFAULT_THRESHOLD and scores[2] == 100


# -- the rule, end to end --------------------------------------------------------------------------------

def test_two_sources_one_hour_apart_make_one_corroborated_incident(store, settings):
    ingest(store, settings, [
        ["G1", "observateurs", "05/01/2023 14:30", "Abomey-Calavi", "violence", "3", CLASH],
        ["G2", "sms", "05/01/2023 15:30", "Abomey-Calavi", "violence", "2", CLASH_SMS],
    ])
    per_incident = store.cursor("operator").execute(
        """select incident_id, count(*) as n_reports, count(distinct source) as n_sources
           from reports group by incident_id""").fetchall()
    assert len(per_incident) == 1 and per_incident[0][1:] == (2, 2)
    latest = sql.run(store, "operator", "latest_incidents",
                     {**from_query_params({}, store.pack).params(), "limit": 50})
    assert latest[["n_reports", "n_sources"]].values.tolist() == [[2, 2]]
    # The incident is the first report's, with its text and channel.
    incident = store.cursor("operator").execute("select title, source from incidents").fetchall()
    assert incident == [(CLASH, "observateurs")]
    assert counts(store) == (2, 1)


def test_same_text_ten_hours_apart_makes_two_incidents(store, settings):
    ingest(store, settings, [
        ["T1", "observateurs", "05/01/2023 08:00", "Abomey-Calavi", "violence", "3", CLASH],
        ["T2", "police", "05/01/2023 18:00", "Abomey-Calavi", "violence", "3", CLASH],
    ])
    assert counts(store) == (2, 2)


@pytest.mark.parametrize("hours, incidents", [("12", 1), ("0", 3)])  # 0: grouping off
def test_window_is_configurable(store, settings, monkeypatch, hours, incidents):
    monkeypatch.setenv("VIGIE_GROUP_WINDOW_HOURS", hours)
    ingest(store, settings, [
        ["T1", "observateurs", "05/01/2023 08:00", "Abomey-Calavi", "violence", "3", CLASH],
        ["T2", "police", "05/01/2023 08:00", "Abomey-Calavi", "violence", "3", CLASH],
        ["T3", "police", "05/01/2023 18:00", "Abomey-Calavi", "violence", "3", CLASH],
    ])
    assert counts(store) == (3, incidents)


@pytest.mark.parametrize("commune, category", [("Cotonou", "violence"), ("Abomey-Calavi", "manifestation")])
def test_another_commune_or_category_makes_another_incident(store, settings, commune, category):
    ingest(store, settings, [
        ["D1", "observateurs", "05/01/2023 14:30", "Abomey-Calavi", "violence", "3", CLASH],
        ["D2", "police", "05/01/2023 14:45", commune, category, "3", CLASH],
    ])
    assert counts(store) == (2, 2)


def test_a_report_without_commune_or_category_stays_alone(store, settings):
    ingest(store, settings, [
        ["N1", "observateurs", "05/01/2023 14:30", "", "violence", "3", CLASH],
        ["N2", "police", "05/01/2023 14:40", "", "violence", "3", CLASH],
        ["N3", "sms", "05/01/2023 14:50", "Abomey-Calavi", "", "", CLASH],
        ["N4", "partis", "05/01/2023 15:00", "Abomey-Calavi", "violence", "3", CLASH],
    ])
    assert partition(store) == {frozenset({r}) for r in ("N1", "N2", "N3", "N4")}


def test_different_polling_stations_stay_apart_at_ingest(store, settings):
    ingest(store, settings, [
        ["B1", "observateurs", "08/01/2023 10:00", "Porto-Novo", "irregularite", "3",
         "Bourrage d'urne signalé au bureau de vote n°3 de l'EPP Tokpota"],
        ["B2", "observateurs", "08/01/2023 10:20", "Porto-Novo", "irregularite", "3",
         "Bourrage d'urne signalé au bureau de vote n°7 de l'EPP Tokpota"],
        ["B3", "sms", "08/01/2023 10:40", "Porto-Novo", "irregularite", "3", "bourrage durne bv 7 epp tokpota"],
    ])
    assert partition(store) == {frozenset({"B1"}), frozenset({"B2", "B3"})}


MEETING_BR = "Meeting du BR perturbé par des jets de pierres à Fidjrossè"
MEETING_DEM = "Meeting des Démocrates perturbé par des jets de pierres à Fidjrossè"  # another meeting
MEETING_SMS = "meeting br fidjrosse perturbe jet de pierre"  # closer to the BR's
MEETING_VAGUE = "meeting perturbe par jets de pierres a fidjrosse"  # as close to both


def meeting(ref: str, time: str, text: str) -> list[str]:
    return [ref, "sms" if text.islower() else "observateurs", f"05/01/2023 {time}", "Cotonou", "perturbation", "2", text]


def test_the_most_similar_incident_wins_then_the_closest_in_time(store, settings):
    ingest(store, settings, [meeting("BR", "10:00", MEETING_BR), meeting("DEM", "10:30", MEETING_DEM),
                             meeting("SMS", "10:45", MEETING_SMS), meeting("VAGUE", "10:50", MEETING_VAGUE)])
    assert partition(store) == {frozenset({"BR", "SMS"}), frozenset({"DEM", "VAGUE"})}


def test_a_vague_report_does_not_chain_two_events(store, settings):
    ingest(store, settings, [meeting("BR", "10:00", MEETING_BR), meeting("VAGUE", "10:15", MEETING_VAGUE),
                             meeting("DEM", "10:30", MEETING_DEM)])
    assert partition(store) == {frozenset({"BR", "VAGUE"}), frozenset({"DEM"})}


def test_a_report_in_a_later_file_joins_the_earlier_incident(store, settings):
    ingest(store, settings, [["L1", "observateurs", "05/01/2023 14:30", "Abomey-Calavi", "violence", "3", CLASH]],
           "premier.csv")
    [first_incident] = store.raw_cursor().execute("select incident_id from incidents").fetchone()
    [later] = ingest(store, settings, [
        ["L2", "police", "05/01/2023 16:00", "Abomey-Calavi", "violence", "3", "Selon la police : " + CLASH],
        ["L3", "sms", "05/01/2023 16:10", "Cotonou", "violence", "2", "Bagarre au marché Dantokpa"],
    ], "second.csv")
    assert later.accepted == 2
    assert groups(store) == {"L1": "L1", "L2": "L1", "L3": "L3"}
    assert store.raw_cursor().execute(
        "select incident_id from reports where source_ref = 'L2'").fetchone()[0] == first_incident
    assert counts(store) == (3, 2)


@pytest.mark.parametrize("reopen", [False, True], ids=["keys missing", "keys backfilled at start"])
def test_reports_stored_before_the_grouping_keys_still_attract(settings, reopen):
    """Reports written before schema version 5 have no stored keys: grouping falls back to their text,
    and the next start fills the keys in."""
    store = Store.open(settings)
    try:
        ingest(store, settings, [["K1", "observateurs", "05/01/2023 14:30", "Abomey-Calavi", "violence", "3", CLASH]],
               "ancien.csv")
        store.raw_cursor().execute("update main.reports set match_text = null, match_names = null")
        store.raw_cursor().execute("delete from meta where key = 'grouping_keys'")  # as a store of then
        if reopen:
            store.close()
            store = open_store(settings)
            assert store.raw_cursor().execute(
                "select match_text, match_names from main.reports").fetchone() == (match.normalize(CLASH), "godomey")
        ingest(store, settings, [["K2", "sms", "05/01/2023 15:00", "Abomey-Calavi", "violence", "2", CLASH_SMS]],
               "nouveau.csv")
        assert groups(store) == {"K1": "K1", "K2": "K1"}
    finally:
        store.close()


def test_reports_stored_without_index_keys_are_indexed_at_the_next_start(settings):
    """Reports stored before schema version 7 have no index keys: the next start writes them, the same
    as at insert, and grouping finds them through the keys again."""
    store = Store.open(settings)
    try:
        ingest(store, settings, [["I1", "observateurs", "05/01/2023 14:30", "Abomey-Calavi", "violence", "3",
                                  "Bourrage d'urne au bureau n° 3 de l'EPP Ouando vers 9h30"],
                                 ["I2", "observateurs", "05/01/2023 14:40", "Abomey-Calavi", "violence", "3", CLASH]],
               "ancien.csv")
        keys = "select report_id, kind, key from main.report_keys order by all"
        written = store.raw_cursor().execute(keys).fetchall()
        assert {kind for _, kind, _ in written} == {"k", "t", "u"}
        store.raw_cursor().execute("delete from main.report_keys")
        store.raw_cursor().execute("delete from meta where key = 'grouping_keys'")  # as a store of then
        store.close()
        store = open_store(settings)
        assert store.raw_cursor().execute(keys).fetchall() == written
        ingest(store, settings, [["I3", "police", "05/01/2023 15:00", "Abomey-Calavi", "violence", "3",
                                  "Selon la police : bourrage d'urne au bureau n° 3 de l'EPP Ouando vers 9h30"]],
               "nouveau.csv")
        assert groups(store) == {"I1": "I1", "I2": "I2", "I3": "I1"}
    finally:
        store.close()


def test_reports_loaded_with_grouping_off_get_their_keys_at_the_next_start(settings, monkeypatch):
    monkeypatch.setenv("VIGIE_GROUP_WINDOW_HOURS", "0")  # a historical load
    store = Store.open(settings)
    try:
        ingest(store, settings, [["O1", "observateurs", "05/01/2023 14:30", "Abomey-Calavi", "violence", "3", CLASH]],
               "historique.csv")
        assert store.raw_cursor().execute("select count(*) from main.report_keys").fetchone()[0] == 0
    finally:
        store.close()
    monkeypatch.delenv("VIGIE_GROUP_WINDOW_HOURS")
    store = open_store(settings)
    try:
        assert store.raw_cursor().execute("select count(*) from main.report_keys").fetchone()[0] > 0
        ingest(store, settings, [["O2", "sms", "05/01/2023 15:00", "Abomey-Calavi", "violence", "2", CLASH_SMS]],
               "direct.csv")
        assert groups(store) == {"O1": "O1", "O2": "O1"}
    finally:
        store.close()


def test_an_incident_marked_false_attracts_nothing(store, settings):
    ingest(store, settings, [["F1", "reseaux_sociaux", "05/01/2023 14:30", "Abomey-Calavi", "violence", "3", CLASH]])
    [incident] = store.raw_cursor().execute("select incident_id from incidents").fetchone()
    wf = Workflow(store)
    wf.set_status(OP, {incident: wf.states([incident])[incident].version}, "faux", "démenti")
    ingest(store, settings, [["F2", "sms", "05/01/2023 15:00", "Abomey-Calavi", "violence", "3", CLASH_SMS]])
    assert partition(store) == {frozenset({"F1"}), frozenset({"F2"})}


def test_a_report_joins_the_incident_its_neighbour_was_merged_into(store, settings):
    ingest(store, settings, [
        ["R1", "observateurs", "05/01/2023 14:00", "Cotonou", "violence", "3", "Bagarre au marché Dantokpa"],
        ["R2", "police", "05/01/2023 14:10", "Cotonou", "violence", "3", CLASH],
    ])
    ids = dict(store.raw_cursor().execute("select source_ref, incident_id from reports").fetchall())
    wf = Workflow(store)
    states = wf.states(list(ids.values()))
    wf.merge(OP, ids["R1"], {i: s.version for i, s in states.items()}, "même rixe")
    ingest(store, settings, [["R3", "sms", "05/01/2023 14:40", "Abomey-Calavi", "violence", "3", CLASH_SMS],
                             ["R4", "sms", "05/01/2023 14:50", "Cotonou", "violence", "3", CLASH_SMS]])
    # R4 is like R2, which now belongs to R1's incident; R2's old incident is a duplicate and attracts nothing.
    assert partition(store) == {frozenset({"R1", "R2", "R4"}), frozenset({"R3"})}


def test_an_incident_recategorised_by_an_operator_attracts_its_new_category(store, settings):
    ingest(store, settings, [["C1", "observateurs", "05/01/2023 14:30", "Abomey-Calavi", "autre", "3", CLASH]])
    [incident] = store.raw_cursor().execute("select incident_id from incidents").fetchone()
    wf = Workflow(store)
    wf.set_field(OP, incident, wf.states([incident])[incident].version, "category", "violence", "rixe")
    ingest(store, settings, [["C2", "sms", "05/01/2023 15:00", "Abomey-Calavi", "violence", "3", CLASH_SMS]])
    assert partition(store) == {frozenset({"C1", "C2"})}


def test_long_descriptions_are_compared_on_their_beginning(store, settings):
    filler = " Les témoins décrivent la scène en détail." * 5000  # ~200,000 characters
    ingest(store, settings, [
        ["H1", "observateurs", "05/01/2023 14:30", "Abomey-Calavi", "violence", "3", CLASH + filler],
        ["H2", "police", "05/01/2023 14:45", "Abomey-Calavi", "violence", "3", "Selon la police : " + CLASH + filler],
    ])
    assert counts(store) == (2, 1)


# -- batches, re-ingestion and counts ------------------------------------------------------------------

PLACES = {
    "Abomey-Calavi": ["Godomey", "Togoudo", "Zogbadjè", "Akassato"],
    "Cotonou": ["Fidjrossè", "Cadjèhoun", "Akpakpa", "Gbégamey"],
    "Parakou": ["Banikanni", "Zongo", "Titirou", "Albarika"],
}
EVENTS = {
    "violence": "Affrontements entre militants à {p}, plusieurs blessés",
    "perturbation": "Meeting perturbé par des jets de pierres à {p}",
    "achat_conscience": "Distribution d'argent aux électeurs devant l'EPP {p}",
}


def campaign(seed: int = 7, n_events: int = 60) -> list[list[str]]:
    """Events reported by one to three channels (reworded, SMS style), sorted by time."""
    rng = random.Random(seed)
    start = dt.datetime(2023, 1, 5, 6, 0)
    rows = []
    for e in range(n_events):
        commune = rng.choice(sorted(PLACES))
        category = rng.choice(sorted(EVENTS))
        text = EVENTS[category].format(p=rng.choice(PLACES[commune]))
        when = start + dt.timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
        variants = [text, "Selon la police : " + text, match_key(text).replace(" a ", " ")]
        for k in range(rng.choice([1, 1, 2, 3])):
            at = when + dt.timedelta(minutes=rng.randrange(0, 240) if k else 0)
            rows.append([f"E{e:03d}-{k}", ["observateurs", "police", "sms"][k], at.strftime("%d/%m/%Y %H:%M"),
                         commune, category, str(rng.randint(1, 4)), variants[k]])
    rows.sort(key=lambda r: (dt.datetime.strptime(r[2], "%d/%m/%Y %H:%M"), r[0]))
    return rows


def test_one_file_or_several_files_give_the_same_incidents(store, settings, tmp_path):
    rows = campaign()
    ingest(store, settings, rows, "tout.csv")
    whole = groups(store)
    assert counts(store)[1] < counts(store)[0]  # some reports did group

    split_settings = make_settings(tmp_path / "split")
    split_settings.ensure_dirs()
    split_store = Store.open(split_settings)
    try:
        for start in range(0, len(rows), 17):
            ingest(split_store, split_settings, rows[start:start + 17], f"part{start}.csv")
        assert groups(split_store) == whole
        ids = "select source_ref, report_id, incident_id from reports order by report_id"
        assert split_store.raw_cursor().execute(ids).fetchall() == store.raw_cursor().execute(ids).fetchall()
    finally:
        split_store.close()


def test_reingesting_a_file_changes_nothing_and_counts_add_up(store, settings):
    rows = campaign(seed=11, n_events=25)
    data = csv_bytes(rows)
    drop_bytes(settings.inbox, data, "lot.csv")
    [first] = process_inbox(store, settings)
    before = (counts(store), partition(store))
    assert first.accepted == len(rows) and before[0][1] < before[0][0]

    drop_bytes(settings.inbox, data, "lot.csv")  # the same bytes: already done
    [again] = process_inbox(store, settings)
    assert again.already_done
    # The same rows in another file (other bytes: a comment line is not a record) are duplicates.
    drop_bytes(settings.inbox, data.replace(b"\n", b"\r\n"), "lot-bis.csv")
    [bis] = process_inbox(store, settings)
    assert (bis.accepted, bis.duplicate) == (0, len(rows))
    assert (counts(store), partition(store)) == before

    log = store.raw_cursor().execute(
        "select n_received, n_accepted, n_duplicate, n_quarantined from ingest_log").fetchall()
    assert all(r == a + d + q for r, a, d, q in log)
    n_reports, n_incidents = counts(store)
    assert n_reports == sum(a for _, a, _, _ in log)
    # Every report belongs to an incident that exists, and each incident has its founding report.
    cur = store.raw_cursor()
    assert cur.execute("select count(*) from reports anti join incidents using (incident_id)").fetchone()[0] == 0
    assert cur.execute("select count(*) from incidents i anti join reports r on r.report_id = i.incident_id"
                       ).fetchone()[0] == 0
    assert cur.execute("select count(distinct incident_id) from reports").fetchone()[0] == n_incidents


def test_a_file_without_a_category_column_loads_and_groups_nothing(store, settings):
    ingest(store, settings, [["K1", "observateurs", "05/01/2023 10:00", "Parakou", "violence", "3", "Bagarre"],
                             ["K2", "observateurs", "05/01/2023 10:30", "Kandi", "menace", "2", "Menaces"],
                             ["K3", "observateurs", "05/01/2023 11:00", "Cotonou", "autre", "1", "Coupure"]])
    # No category column: the empty column reaches the database typed as a number, not as text.
    data = "id;date;commune;description\nS1;05/01/2023 10:00;Parakou;Bagarre\nS2;05/01/2023 11:00;Kandi;Menaces\n"
    drop_bytes(settings.inbox, data.encode("utf-8"), "sans-categorie.csv", source="sms")
    [result] = process_inbox(store, settings)
    assert result.error is None and result.accepted == 2
    assert counts(store) == (5, 5)


def test_a_file_without_descriptions_loads_and_its_reports_stay_apart(store, settings):
    data = "id;date;commune;categorie\nD1;05/01/2023 10:00;Parakou;violence\nD2;05/01/2023 10:10;Parakou;violence\n"
    drop_bytes(settings.inbox, data.encode("utf-8"), "sans-texte.csv", source="observateurs")
    [result] = process_inbox(store, settings)
    assert result.error is None and result.accepted == 2
    assert counts(store) == (2, 2)  # nothing to compare: no evidence of one event


# -- the first pass (index keys) changes nothing ---------------------------------------------------------

DENSE_PLACES = ["Godomey", "Togoudo", "EPP Ouando", "CEG Akpakpa", "marché Dantokpa"]
DENSE_EVENTS = ["Affrontements entre militants", "Bourrage d'urne signalé", "Meeting perturbé par des jets de pierres"]


def dense_rows(seed: int, n: int, prefix: str) -> list[list[str]]:
    """A crowded morning in two communes: the same few events reported many times, with and without
    names, clock times and station numbers, in SMS style and with channel prefixes, so that every way two
    reports can meet (key in tokens, no key, vetoed, similar) occurs many times."""
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        event, place = rng.choice(DENSE_EVENTS), rng.choice(DENSE_PLACES)
        text = f"{event} à {place}"
        if rng.random() < 0.5:
            text += f" vers {rng.choice(['9h', '9h30', '10h', '10h15'])}"
        if rng.random() < 0.4:
            text += f" au bureau de vote n° {rng.randint(1, 4)}"
        style = rng.random()
        if style < 0.25:
            text = match_key(text)  # SMS: lower case, names nothing
        elif style < 0.4:
            text = "Selon la police : " + text
        when = dt.datetime(2023, 1, 8, 7, 0) + dt.timedelta(minutes=rng.randrange(0, 10 * 60))
        rows.append([f"{prefix}{k:03d}", rng.choice(["sms", "observateurs", "police"]), when.strftime("%d/%m/%Y %H:%M"),
                     rng.choice(["Cotonou", "Abomey-Calavi"]), rng.choice(["violence", "irregularite"]), "2", text])
    return rows


def _incident_of(store, ref: str) -> int:
    return store.cursor("operator").execute(
        "select incident_id from reports where source_ref = $r", {"r": ref}).fetchone()[0]


def _operate(store) -> None:
    """The same operator actions in either store, by report: a recategorised incident, a moved commune,
    a merge, a split and an incident marked false."""
    wf = Workflow(store)

    def version(incident: int) -> int:
        return wf.states([incident])[incident].version

    first = _incident_of(store, "A000")
    wf.set_field(OP, first, version(first), "category", "manifestation", "requalifié")
    second = _incident_of(store, "A001")
    wf.set_field(OP, second, version(second), "commune_code",
                 store.pack.communes.loc[store.pack.communes["commune"] == "Parakou", "commune_code"].iloc[0], "lieu")
    a, b = _incident_of(store, "A002"), _incident_of(store, "A003")
    if a != b:
        wf.merge(OP, a, {a: version(a), b: version(b)}, "même fait")
    crowded = store.cursor("operator").execute(
        "select source_ref from reports where incident_id in (select incident_id from reports group by incident_id "
        "having count(*) > 1) and source_ref > 'A004' order by report_id limit 1").fetchone()
    if crowded:
        wf.split(OP, store.cursor("operator").execute(
            "select report_id from reports where source_ref = $r", {"r": crowded[0]}).fetchone()[0], "autre fait")
    false = _incident_of(store, "A004")
    wf.set_status(OP, {false: version(false)}, "faux", "démenti")


def echoes(rows: list[list[str]]) -> list[list[str]]:
    """Later reports of the first two events, where the operators put them (another category, another
    commune): they can only meet them as the incidents are now."""
    out = []
    for row, commune, category in ((rows[0], rows[0][3], "manifestation"), (rows[1], "Parakou", rows[1][4]),
                                   (rows[3], rows[2][3], rows[2][4])):  # A003 was merged into A002's incident
        when = dt.datetime.strptime(row[2], "%d/%m/%Y %H:%M") + dt.timedelta(minutes=30)
        out.append([row[0].replace("A", "E"), "police", when.strftime("%d/%m/%Y %H:%M"), commune, category, "2",
                    "Selon la police : " + row[6]])
    return out


def test_the_first_pass_gives_the_same_incidents_as_comparing_everything(tmp_path, monkeypatch):
    files = [dense_rows(1, 160, "A"), dense_rows(2, 120, "B"), dense_rows(3, 90, "C")]
    files[0][0][6] = "Bourrage d'urne signalé à l'EPP Ouando vers 9h30 au bureau de vote n° 2"
    files[0][1][6] = "Affrontements entre militants à Godomey vers 10h15"
    files[0][2][3:5] = ["Cotonou", "violence"]
    files[0][3][2:7] = [(dt.datetime.strptime(files[0][2][2], "%d/%m/%Y %H:%M") + dt.timedelta(hours=1)).strftime(
        "%d/%m/%Y %H:%M"), "Abomey-Calavi", "irregularite", "2", "Bulletins manquants au CEG Zogbo n° 12 vers 11h"]
    files[1] = sorted(files[1] + echoes(files[0]), key=lambda r: (dt.datetime.strptime(r[2], "%d/%m/%Y %H:%M"), r[0]))
    seen = {}
    for prune in (True, False):
        monkeypatch.setattr(group, "PRUNE", prune)
        settings = make_settings(tmp_path / f"prune-{prune}")
        settings.ensure_dirs()
        store = Store.open(settings)
        try:
            ingest(store, settings, files[0], "a.csv")
            _operate(store)
            ingest(store, settings, files[1], "b.csv")
            ingest(store, settings, files[2][:45], "c1.csv")
            ingest(store, settings, files[2][45:], "c2.csv")
            seen[prune] = (partition(store), groups(store))
            # The echoes joined the incidents as the operators left them.
            assert _incident_of(store, "E000") == _incident_of(store, "A000")
            assert _incident_of(store, "E001") == _incident_of(store, "A001")
            assert _incident_of(store, "E003") == _incident_of(store, "A003") == _incident_of(store, "A002")
            n_reports, n_incidents = counts(store)
            assert n_incidents < n_reports - 50  # many reports did group
            kinds = dict(store.raw_cursor().execute("select kind, count(*) from report_keys group by kind").fetchall())
            assert kinds.get("k") and kinds.get("t") and kinds.get("u")  # both ways of meeting were used
        finally:
            store.close()
    assert seen[True] == seen[False]


def test_a_graver_report_raises_its_incident_until_an_operator_sets_the_severity(store, settings):
    def severity() -> list[int]:
        return [s for (s,) in store.cursor("operator").execute("select severity from incidents").fetchall()]

    ingest(store, settings, [["S1", "observateurs", "05/01/2023 14:30", "Abomey-Calavi", "violence", "2", CLASH]])
    assert severity() == [2]
    ingest(store, settings, [["S2", "sms", "05/01/2023 15:00", "Abomey-Calavi", "violence", "4", CLASH_SMS]],
           name="plus-grave.csv")
    assert counts(store) == (2, 1) and severity() == [4]  # the triage queue puts it first now
    [incident_id] = {i for (i,) in store.raw_cursor().execute("select incident_id from reports").fetchall()}
    wf = Workflow(store)
    wf.set_field(OP, incident_id, wf.states([incident_id])[incident_id].version, "severity", 3, "évalué sur place")
    ingest(store, settings, [["S3", "police", "05/01/2023 15:20", "Abomey-Calavi", "violence", "4", CLASH]],
           name="encore.csv")
    assert counts(store) == (3, 1) and severity() == [3]  # the operator's assessment stands
