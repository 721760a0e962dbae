"""The simulated Benin 2023 scenario, its preload and replay through the inbox, and the simulated operators."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from vigie import demo
from vigie.geo import Locator, load_pack
from vigie.ingest.inbox import drop_bytes, pending, process_inbox
from vigie.ingest.native import ALIASES
from vigie.ingest.records import map_columns
from vigie.store import Event, Store
from vigie.taxonomy import CATEGORIES

SMALL = 0.3  # about 900 rows: enough for every check, fast to ingest


@pytest.fixture(scope="module")
def pack():
    return load_pack("benin")


@pytest.fixture(scope="module")
def scenario(pack) -> pd.DataFrame:
    return demo.generate(pack)


@pytest.fixture(scope="module")
def locator(pack) -> Locator:
    return Locator(pack)


# -- the scenario ----------------------------------------------------------------------------------


def test_generate_is_deterministic(pack):
    first = demo.generate(pack, seed=7, scale=SMALL)
    assert first.equals(demo.generate(pack, seed=7, scale=SMALL))
    assert not first.equals(demo.generate(pack, seed=8, scale=SMALL))
    assert demo.csv_bytes(first) == demo.csv_bytes(demo.generate(pack, seed=7, scale=SMALL))


def test_columns_and_values(scenario):
    assert list(scenario.columns) == demo.COLUMNS
    assert 2_700 <= len(scenario) <= 3_300
    assert scenario["id"].str.fullmatch(r"SIM-\d{6}").all()
    assert set(scenario["source"]) == set(demo.SOURCES)
    assert set(scenario["categorie"]) <= set(CATEGORIES)
    assert set(scenario["gravite"]) == {1, 2, 3, 4}
    critical = (scenario["gravite"] == 4).mean()
    assert 0.02 < critical < 0.08
    assert (scenario["gravite"] <= 2).mean() > 0.6  # skewed low
    times = demo.local_times(scenario)
    assert times.min() >= pd.Timestamp(demo.WINDOW_START)
    assert times.max() < pd.Timestamp(demo.WINDOW_END)
    assert times.is_monotonic_increasing
    # Coordinates come in pairs, with a decimal point in the CSV.
    assert (scenario["latitude"].isna() == scenario["longitude"].isna()).all()
    assert 0.45 < scenario["latitude"].notna().mean() < 0.65
    assert scenario["description"].str.len().min() > 20
    assert scenario["description"].nunique() > 0.9 * scenario.drop_duplicates().shape[0]
    # Reporter identities only on SMS and observer reports, with fictional numbers.
    named = scenario["telephone"] != ""
    assert set(scenario.loc[named, "source"]) <= {"sms", "observateurs"}
    assert scenario.loc[named, "telephone"].str.fullmatch(r"\+229 00 \d\d \d\d \d\d").all()


def test_csv_is_native(tmp_path, scenario):
    path = demo.write_csv(scenario.head(50), tmp_path / "demo.csv")
    text = path.read_text(encoding="utf-8")
    header = text.splitlines()[0].split(";")
    assert header == demo.COLUMNS
    assert set(map_columns(header, ALIASES)) >= {
        "source_ref", "source", "occurred_at", "lat", "lon", "commune", "place", "category", "severity",
        "description", "reporter_name", "reporter_phone"}
    back = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    assert back["date"].str.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d").all()
    assert not back["latitude"].str.contains(",").any()


def test_places_are_those_of_the_pack(scenario, pack, locator):
    codes = set(pack.communes["commune_code"])
    named = scenario[scenario["commune"] != ""]
    resolved = {name: locator.match_name(name)[0] for name in named["commune"].unique()}
    assert all(code in codes for code in resolved.values()), [n for n, c in resolved.items() if c not in codes]
    # Spellings vary (capitals, no accents, no hyphens) to exercise matching.
    assert any(name.isupper() for name in resolved)
    assert len(set(resolved.values())) > 65  # nearly every commune has incidents
    # A point lies in the commune the report names.
    points = named[named["latitude"].notna()]
    at = locator.commune_at(points["latitude"].to_numpy(), points["longitude"].to_numpy())
    assert (at == points["commune"].map(resolved).to_numpy()).all()
    # A report with only a place name is still locatable.
    only_place = scenario[(scenario["commune"] == "") & scenario["latitude"].isna()]
    assert len(only_place) and (only_place["lieu"] != "").all()
    assert all(locator.match_name(p)[0] in codes for p in only_place["lieu"].unique())


def test_realistic_shape(scenario, pack, locator):
    times = demo.local_times(scenario)
    days = times.dt.date
    per_day = days.value_counts()
    campaign = [p for p in pack.election.phases if p.code == "campagne"][0]
    campaign_days = per_day[(per_day.index >= campaign.start) & (per_day.index <= campaign.end)]
    election_day = per_day[pack.election.election_day]
    assert election_day > 2 * campaign_days.mean()
    assert election_day == per_day.max()
    # Silence day: disinformation leads; the vote: irregularities and logistics; results: protests.
    on = lambda day: scenario.loc[days == day, "categorie"].value_counts()  # noqa: E731
    assert on(dt.date(2023, 1, 7)).index[0] == "desinformation"
    assert set(on(dt.date(2023, 1, 8)).index[:2]) == {"irregularite", "logistique"}
    results = scenario.loc[days >= dt.date(2023, 1, 9), "categorie"].value_counts()
    assert "manifestation" in results.index[:3]
    # Security incidents concentrate in the north (Alibori 01, Atacora 02); big cities report most.
    where = _commune_of(scenario, locator)
    dep = dict(zip(pack.communes["commune_code"], pack.communes["departement_code"]))
    security = where[(scenario["categorie"] == "securite").to_numpy()]
    assert np.mean([dep.get(code) in ("01", "02") for code in security]) > 0.8
    name = dict(zip(pack.communes["commune_code"], pack.communes["commune"]))
    top = [name[c] for c in pd.Series(where).value_counts().index[:4]]
    assert {"Cotonou", "Abomey-Calavi"} <= set(top)


def _commune_of(frame: pd.DataFrame, locator: Locator) -> np.ndarray:
    """Where each row is, as the ingest would locate it: the point, else the commune or place name."""
    by_name = np.array([locator.match_name(c or p)[0] for c, p in zip(frame["commune"], frame["lieu"])],
                       dtype=object)
    by_point = locator.commune_at(frame["latitude"].to_numpy(), frame["longitude"].to_numpy())
    return np.where(frame["latitude"].notna().to_numpy(), by_point, by_name)


def test_corroboration_and_duplicates(scenario):
    exact = scenario.duplicated()
    assert 0.003 < exact.mean() < 0.02
    unique = scenario[~exact]
    assert unique["id"].is_unique
    # Corroboration: the same commune and category from another channel within hours, in other words.
    prefixes = tuple(p for ps in demo.PREFIXES.values() for p in ps if p)
    assert unique["description"].str.startswith(prefixes).mean() > 0.03


# -- preload, replay ---------------------------------------------------------------------------------


def _counts(store: Store) -> tuple[int, int, int]:
    cur = store.raw_cursor()
    return (
        cur.execute("select count(*) from main.reports").fetchone()[0],
        cur.execute("select count(*) from main.status_events").fetchone()[0],
        cur.execute("select count(*) from main.ingest_log").fetchone()[0],
    )


def test_preload_ingests_once(settings, store, capsys):
    written = demo.preload(settings, scale=SMALL)
    out = capsys.readouterr().out
    assert "simulé" in out and "doublons" in out
    frame = demo.generate(load_pack("benin"), scale=SMALL)
    before = frame[demo.local_times(frame) < demo.DEFAULT_CUT]
    assert written == len(before)
    cur = store.raw_cursor()
    log = cur.execute(
        "select n_received, n_accepted, n_duplicate, n_quarantined, source, status from main.ingest_log"
        " where format not in ('claims-csv', 'rallies-csv')"
    ).fetchall()
    assert len(log) == 1
    received, accepted, duplicate, quarantined, source, status = log[0]
    assert (source, status) == ("demo", "done")
    assert received == written == accepted + duplicate + quarantined
    assert duplicate == before.duplicated().sum() > 0
    assert quarantined <= 0.01 * received
    reports, events, _files = _counts(store)
    assert reports == accepted == written - duplicate
    assert events > 0
    located = cur.execute("select avg(case when geo_precision <> 'none' then 1 else 0 end) from main.reports")
    assert located.fetchone()[0] > 0.95
    assert cur.execute("select count(*) from main.reports where source_ref not like 'SIM-%'").fetchone()[0] == 0
    last = cur.execute("select max(occurred_local) from main.reports").fetchone()[0]
    assert last < demo.DEFAULT_CUT
    # The campaign's rallies, all of them (itineraries are known ahead), decided only up to the cut.
    rallies = cur.execute(
        """select count(*), count(*) filter (where starts_local >= $cut and protection_status = 'demandee'),
                  count(*) filter (where starts_local < $cut and protection_status = 'demandee'),
                  min(starts_local)::date, max(starts_local)::date, count(distinct party)
           from main.rallies""", {"cut": demo.DEFAULT_CUT}).fetchone()
    assert rallies[0] > 50 and rallies[1] > 0 and rallies[2] == 0
    assert (str(rallies[3]), str(rallies[4]), rallies[5]) == ("2022-12-23", "2023-01-06", 7)
    assert "meetings de campagne" in out

    # The claims the scenario's rumours became, up to the cut: every sighting kept, a claim once.
    sightings = demo.demo_claims.sightings(frame, demo.local_times(frame))
    seen = sightings[pd.to_datetime(sightings["vu_le"]) < demo.DEFAULT_CUT]
    claims = cur.execute("select count(*), count(verdict), count(*) - count(verdict) from main.claims").fetchone()
    assert claims[0] == seen["lien"].nunique() > 0 and claims[1] > 0 and claims[2] > 0
    assert cur.execute("select count(*) from main.claim_sightings").fetchone()[0] == len(seen)
    # Each claim repeats one simulated disinformation report: the page can suggest it for linking.
    assert set(seen["texte"]) <= set(cur.execute(
        "select description from main.reports where category = 'desinformation'").df()["description"])

    assert demo.preload(settings, scale=SMALL) == 0
    assert "déjà chargé" in capsys.readouterr().out
    assert _counts(store) == (reports, events, 3)  # reports, claims and rallies: once
    assert not pending(settings.inbox)


def test_replay_drops_the_rest_without_opening_the_database(settings, store, monkeypatch, capsys):
    demo.preload(settings, scale=SMALL)
    reports_before = _counts(store)[0]

    def refuse(*_args, **_kwargs):
        raise AssertionError("the replay must not open the database")

    monkeypatch.setattr(Store, "open", refuse)
    monkeypatch.setattr("duckdb.connect", refuse)
    sent = demo.replay(settings, speed=5_000_000, tick=0.02, scale=SMALL)
    monkeypatch.undo()
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-2].startswith("Rejeu du scénario") and out[-1].startswith("Rejeu terminé")

    frame = demo.generate(load_pack("benin"), scale=SMALL)
    after = frame[demo.local_times(frame) >= demo.DEFAULT_CUT]
    assert sent == len(after)
    files = pending(settings.inbox)
    assert len(files) > 3  # dropped tick by tick, not in one file
    results = process_inbox(store, settings)
    assert all(r.error is None for r in results)
    assert sum(r.received for r in results if r.format != "claims-csv") == len(after)
    sightings = demo.demo_claims.sightings(frame, demo.local_times(frame))
    later = sightings[pd.to_datetime(sightings["vu_le"]) >= demo.DEFAULT_CUT]
    assert sum(r.received for r in results if r.format == "claims-csv") == len(later) > 0
    # Preload + replay = the whole scenario, each report once.
    assert _counts(store)[0] == reports_before + len(after) - after.duplicated().sum()
    assert _counts(store)[0] == len(frame.drop_duplicates())


def test_preload_leaves_the_file_when_the_server_holds_the_database(settings, capsys):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ok', flush=True); sys.stdin.read()",
         str(settings.db_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        written = demo.preload(settings, scale=SMALL)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    assert written > 0
    assert "Serveur en cours" in capsys.readouterr().out
    files = pending(settings.inbox)
    assert sorted(f.name.split("__")[-1] for f in files) == ["demo-affirmations.csv", "demo-historique.csv",
                                                             "demo-meetings.csv"]


# -- simulated operators -----------------------------------------------------------------------------


def _ingest_scenario(settings, store, scale: float = SMALL) -> pd.DataFrame:
    frame = demo.generate(load_pack("benin"), scale=scale)
    before = frame[demo.local_times(frame) < demo.DEFAULT_CUT]
    drop_bytes(settings.inbox, demo.csv_bytes(before), "demo-historique.csv", source="demo")
    process_inbox(store, settings)
    return before


def test_simulated_operators_publish(settings, store):
    _ingest_scenario(settings, store)
    written = demo.simulate_operators(store)
    assert written > 0
    journalist = store.cursor("journalist").execute("select count(*) from incidents").fetchone()[0]
    operator = store.cursor("operator").execute("select count(*) from incidents").fetchone()[0]
    assert 0 < journalist < operator
    statuses = dict(store.cursor("operator").execute(
        "select status, count(*) from incidents group by status").fetchall())
    assert {"verifie", "faux", "en_verification", "nouveau", "transmis", "clos"} <= set(statuses)
    assert 0.5 < (statuses["verifie"] + statuses["transmis"] + statuses["clos"]) / operator < 0.85
    cur = store.raw_cursor()
    held = cur.execute("select count(*) from main.incident_state where held").fetchone()[0]
    assert 0 < held < 0.1 * operator
    # Escalations name a unit and only concern serious incidents.
    escalated = cur.execute(
        "select severity, assigned_unit from main.incident_state where status in ('transmis', 'clos')").fetchall()
    assert escalated and all(sev >= 3 and unit for sev, unit in escalated)
    # Timeline in 2023: verified 20 min to 6 h after the fact, and never after the data clock.
    delays = cur.execute(
        "select min(verified_at - occurred_at), max(verified_at - occurred_at) from main.incident_state").fetchone()
    assert delays[0] >= dt.timedelta(minutes=19) and delays[1] <= dt.timedelta(hours=6, minutes=1)
    latest = cur.execute("select max(occurred_at) from main.incidents").fetchone()[0]
    assert cur.execute("select max(at_time) from main.status_events").fetchone()[0] <= latest
    assert cur.execute("select count(distinct actor) from main.status_events").fetchone()[0] == 1
    # Twice: nothing new.
    before = _counts(store)
    assert demo.simulate_operators(store) == 0
    assert _counts(store) == before


def test_simulated_operators_follow_the_clock(settings, store):
    _ingest_scenario(settings, store)
    cur = store.raw_cursor()
    fields = "select incident_id, at_time, field, from_value, to_value from main.status_events order by all"
    early = demo.simulate_operators(store, now=dt.datetime(2022, 12, 25))
    assert 0 < early
    assert cur.execute("select max(at_time) from main.status_events").fetchone()[0] <= dt.datetime(2022, 12, 25)
    late = demo.simulate_operators(store)
    assert late > 0
    in_steps = cur.execute(fields).fetchall()
    # Same result as deciding everything at once.
    cur.execute("delete from main.status_events")
    assert demo.simulate_operators(store) == early + late
    assert cur.execute(fields).fetchall() == in_steps


def test_simulated_operators_leave_real_and_human_work_alone(settings, store):
    _ingest_scenario(settings, store)
    real = "source;id;date;commune;categorie;description\nsms;R-1;05/01/2023 10:00;Cotonou;violence;Vraie bagarre\n"
    drop_bytes(settings.inbox, real.encode(), "vrai.csv")
    process_inbox(store, settings)
    cur = store.raw_cursor()
    real_id = cur.execute("select incident_id from main.reports where source_ref = 'R-1'").fetchone()[0]
    human_id = cur.execute("select min(incident_id) from main.reports where source_ref like 'SIM-%'").fetchone()[0]
    store.record_events([Event(human_id, "status", "en_verification", "alice", "je regarde")])
    demo.simulate_operators(store, now=dt.datetime(2023, 6, 1))
    by_incident = dict(cur.execute(
        "select incident_id, list(actor) from main.status_events where incident_id in ($a, $b) group by 1",
        {"a": real_id, "b": human_id}).fetchall())
    assert real_id not in by_incident
    assert by_incident[human_id] == ["alice"]
