"""Every query in queries/ against the deterministic fixture database, checked against plain pandas."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pandas as pd
import pytest

from tests.conftest import make_settings
from tests.fixture_data import PII_MARKERS, build_fixture_state
from vigie import sql
from vigie.auth import User
from vigie.filters import Filters, from_query_params
from vigie.store import ROLES, Store
from vigie.workflow import Workflow
from vigie.taxonomy import SEVERITY_WEIGHTS


@pytest.fixture(scope="module")
def truth(fixture_store) -> pd.DataFrame:
    """Every incident as the operator scope sees it (false and duplicates are out of the default view),
    to recompute expected figures independently."""
    frame = fixture_store.cursor("operator").execute("select * from incidents").df()
    return frame[~frame["status"].isin(["faux", "doublon"])]


@pytest.fixture(scope="module")
def base(fixture_store) -> Filters:
    return from_query_params({}, fixture_store.pack)


def run(store, role, name, filters: Filters, **extra):
    return sql.run(store, role, name, {**filters.params(), **extra})


def test_every_query_file_loads_and_declares_roles():
    names = sql.names()
    assert {"map_by_commune", "timeline", "latest_incidents", "overview_kpis"} <= set(names)
    for name in names:
        query = sql.load(name)
        assert query.roles and query.roles <= set(ROLES)


def test_map_by_commune_counts_match_pandas(fixture_store, truth, base):
    got = run(fixture_store, "operator", "map_by_commune", base).set_index("commune_code")
    assert len(got) == 77  # one row per commune, whatever the data
    expected = truth.groupby("commune_code").size()
    assert got.loc[expected.index, "n_incidents"].tolist() == expected.tolist()
    weighted = truth.assign(w=truth["severity"].map(SEVERITY_WEIGHTS)).groupby("commune_code")["w"].sum()
    assert got.loc[weighted.index, "weighted"].tolist() == weighted.astype(int).tolist()
    cotonou = got.loc["0801"]
    assert cotonou["rate_100k"] == pytest.approx(cotonou["n_incidents"] * 1e5 / cotonou["population"])


def test_journalist_map_counts_only_published(fixture_store, truth, base):
    got = run(fixture_store, "journalist", "map_by_commune", base)
    assert got["n_incidents"].sum() == int(truth["published"].sum())
    assert 0 < got["n_incidents"].sum() < len(truth)


def test_false_incidents_shown_only_when_asked(fixture_store, base):
    default = run(fixture_store, "operator", "map_by_commune", base)["n_incidents"].sum()
    false_only = Filters(base.date_from, base.date_to, statuses=("faux",))
    n_false = run(fixture_store, "operator", "map_by_commune", false_only)["n_incidents"].sum()
    total = fixture_store.cursor("operator").execute("select count(*) from incidents").fetchone()[0]
    assert n_false > 0 and default + n_false == total


def test_filters_restrict_results(fixture_store, truth, base):
    f = Filters(base.date_from, base.date_to, categories=("violence",), severities=(3, 4))
    got = run(fixture_store, "operator", "latest_incidents", f, limit=1000)
    expected = truth[(truth["category"] == "violence") & truth["severity"].isin([3, 4])]
    assert sorted(got["incident_id"]) == sorted(expected["incident_id"])
    f = Filters(dt.date(2022, 12, 25), dt.date(2022, 12, 25))
    got = run(fixture_store, "operator", "timeline", f, bucket="day")
    day = truth[truth["occurred_local"].dt.date == dt.date(2022, 12, 25)]
    assert got["n_incidents"].sum() == len(day)
    assert set(got["bucket"].dt.date) <= {dt.date(2022, 12, 25)}


def test_phase_filter_is_the_phase_dates(fixture_store, base):
    f = base.with_phase(fixture_store.pack, "scrutin")
    assert (f.date_from, f.date_to) == (dt.date(2023, 1, 8), dt.date(2023, 1, 8))


def test_timeline_buckets_by_day_and_hour(fixture_store, truth, base):
    daily = run(fixture_store, "operator", "timeline", base, bucket="day")
    hourly = run(fixture_store, "operator", "timeline", base, bucket="hour")
    in_period = truth[(truth["occurred_local"] >= pd.Timestamp(base.date_from))
                      & (truth["occurred_local"] < pd.Timestamp(base.date_to + dt.timedelta(days=1)))]
    assert daily["n_incidents"].sum() == hourly["n_incidents"].sum() == len(in_period)
    assert (daily["bucket"].dt.hour == 0).all()
    assert hourly["bucket"].dt.hour.nunique() > 1


def test_latest_incidents_ordered_and_corroborated(fixture_store, base):
    got = run(fixture_store, "observer", "latest_incidents", base, limit=20)
    assert len(got) == 20
    assert got["occurred_local"].is_monotonic_decreasing
    assert (got["n_reports"] >= 1).all() and (got["n_sources"] >= 1).all()


def test_overview_kpis(fixture_store, truth, base):
    now = dt.datetime(2023, 1, 5, 12, 0)
    k = run(fixture_store, "operator", "overview_kpis", base, now=now).iloc[0]
    last24 = truth[(truth["occurred_local"] >= now - dt.timedelta(hours=24)) & (truth["occurred_local"] <= now)]
    assert k["n_last_24h"] == len(last24)
    assert k["n_to_verify"] == int(truth["status"].isin(["nouveau", "en_verification"]).sum())
    critical_open = truth[(truth["severity"] == 4) & truth["status"].isin(["nouveau", "en_verification", "verifie", "transmis"])]
    assert k["n_critical_open"] == len(critical_open)
    assert k["n_communes"] == truth["commune_code"].nunique()
    # The delays are kept per incident in incident_current; the medians are those of the timestamps.
    verify = (truth["verified_at"] - truth["occurred_at"]).dt.total_seconds() / 60
    verify = verify[truth["verified_at"] >= truth["occurred_at"]]
    assert len(verify) > 0 and k["median_verify_minutes"] == pytest.approx(verify.median())
    resolve = (truth["resolved_at"] - truth["escalated_at"]).dt.total_seconds() / 60
    resolve = resolve[truth["resolved_at"] >= truth["escalated_at"]]
    assert (pd.isna(k["median_resolve_minutes"]) if resolve.empty
            else k["median_resolve_minutes"] == pytest.approx(resolve.median()))


def test_map_points_capped_and_exact(fixture_store, base):
    got = run(fixture_store, "operator", "map_points", base, limit=10)
    assert len(got) == 10 and got["lat"].notna().all()


def test_role_not_listed_is_refused(fixture_store, base):
    with pytest.raises(PermissionError):
        run(fixture_store, "journalist", "map_points", base, limit=10)


def test_wrong_parameters_are_refused(fixture_store, base):
    with pytest.raises(sql.QueryError):
        sql.run(fixture_store, "operator", "timeline", base.params())  # bucket missing
    with pytest.raises(sql.QueryError):
        sql.run(fixture_store, "operator", "data_clock", {"extra": 1})


def test_sql_looking_filter_values_are_data(fixture_store, base):
    f = Filters(base.date_from, base.date_to, sources=("x' or '1'='1",), categories=("'; drop table reports; --",))
    got = run(fixture_store, "operator", "latest_incidents", f, limit=10)
    assert got.empty
    assert fixture_store.raw_cursor().execute("select count(*) from reports").fetchone()[0] > 0


def test_url_filters_drop_unknown_values(fixture_store):
    f = from_query_params({"cat": ["violence", "<script>"], "grav": ["2", "9", "x"], "commune": ["0801", "9999"],
                           "du": "pas une date", "phase": "campagne"}, fixture_store.pack)
    assert f.categories == ("violence",) and f.severities == (2,) and f.communes == ("0801",)
    assert f.phase == "campagne" and f.date_from == dt.date(2022, 12, 23)


@pytest.mark.parametrize("table", ["main.reports", "vigie.reports", "lake.main.reports", "memory.main.x"])
def test_query_files_never_name_the_main_schema_or_a_catalog(tmp_path, monkeypatch, table):
    bad = tmp_path / "leak.sql"
    bad.write_text(f"-- leak\n-- roles: journalist\nselect * from {table}\n")
    monkeypatch.setattr(sql, "QUERIES_DIR", tmp_path)
    sql.load.cache_clear()
    try:
        with pytest.raises(sql.QueryError):
            sql.load("leak")
    finally:
        sql.load.cache_clear()


def test_sources_page_queries_show_counts_and_quarantine_reasons(settings, store):
    from vigie.ingest.inbox import drop_bytes, process_inbox

    data = ("id;date;commune;categorie;description\n"
            "1;05/01/2023 10:00;Parakou;violence;ok\n"
            "2;pas une date;Parakou;violence;mauvaise date\n"
            "3;05/01/2023 11:00;Parakou\n").encode()
    drop_bytes(settings.inbox, data, "terrain.csv", source="observateurs")
    process_inbox(store, settings)
    summary = sql.run(store, "operator", "sources_summary", {"today": dt.date(2023, 1, 5)}).iloc[0]
    assert (summary["source"], summary["n_received"], summary["n_accepted"], summary["n_quarantined"]) == (
        "observateurs", 3, 1, 2)
    assert summary["n_today"] == 1
    q = sql.run(store, "operator", "quarantine_list", {"sources": [], "limit": 10})
    assert q["line_no"].tolist() == [3, 4] and set(q["file_name"]) == {"terrain.csv"}
    assert "date" in q["reason"].iloc[0]
    with pytest.raises(PermissionError):
        sql.run(store, "observer", "quarantine_list", {"sources": [], "limit": 10})


def test_sql_looking_search_text_is_only_text(fixture_store, base):
    params = {**base.params(), "limit": 10, "offset": 0}
    for q in ("'; drop table reports; --", "%' or '1'='1", "\\\\", "Incident de test n°1'"):
        got = sql.run(fixture_store, "journalist", "incident_search", {**params, "q": q})
        assert got.empty
    assert fixture_store.raw_cursor().execute("select count(*) from reports").fetchone()[0] > 0
    got = sql.run(fixture_store, "journalist", "incident_search", {**params, "q": "INCIDENT DE TEST"})
    assert not got.empty and got["published"].all()


@pytest.fixture
def own_store(tmp_path):
    """A fixture state of this test's own, for tests that write (merges, splits, extra incidents)."""
    settings = make_settings(tmp_path / "state")
    build_fixture_state(settings)
    store = Store.open(settings)
    yield store
    store.close()


def search(store, role, filters: Filters, q: str, limit: int = 50):
    return sql.run(store, role, "incident_search", {**filters.params(), "q": q, "limit": limit, "offset": 0})


def test_search_counts_every_match_below_the_cap(fixture_store, truth, base):
    got = search(fixture_store, "operator", base, "")
    assert len(got) == 50 and (got["n_total"] == len(truth)).all()
    expected = truth.sort_values(["occurred_local", "incident_id"], ascending=False).head(50)
    assert got["incident_id"].tolist() == expected["incident_id"].tolist()
    assert got["n_reports"].tolist() == expected["n_reports"].tolist()


def test_search_count_stops_past_the_cap(own_store, base):
    # 10,100 copies of one incident: the count stops at 10,001 (the page says "plus de 10 000").
    cur = own_store.raw_cursor()
    cur.execute("""insert into main.incidents
                   select i.* replace (10000000 + n as incident_id)
                   from (select * from main.incidents order by incident_id limit 1) i, range(10100) t(n)""")
    own_store.refresh_current(full=True)
    got = search(own_store, "operator", base, "")
    assert len(got) == 50 and (got["n_total"] == 10001).all()


def test_reports_follow_merges_and_splits(own_store, base):
    wf = Workflow(own_store)
    op = User("op1", "Opératrice 1", "operator", "")
    a, b = [r[0] for r in own_store.raw_cursor().execute(
        "select incident_id from main.incident_state where status = 'nouveau' and n_reports = 1 "
        "order by incident_id limit 2").fetchall()]
    wf.merge(op, a, {k: v.version for k, v in wf.states([a, b]).items()}, "même événement")
    listed = sql.run(own_store, "operator", "incident_reports", {"incident_id": a})
    assert sorted(listed["report_id"]) == sorted([a, b])  # an incident founded at ingest takes its report's id
    assert listed["incident_id"].eq(a).all()
    assert sql.run(own_store, "operator", "incident_reports", {"incident_id": b}).empty
    observer = sql.run(own_store, "observer", "incident_reports", {"incident_id": a})
    assert len(observer) == 2 and "reporter_phone" not in observer.columns

    # The merged report's text finds the incident it belongs to now (b itself is a duplicate, hidden).
    text = own_store.raw_cursor().execute("select description from main.reports where report_id = $b",
                                          {"b": b}).fetchone()[0]
    found = search(own_store, "operator", base, text.upper())
    assert a in set(found["incident_id"]) and b not in set(found["incident_id"])
    assert found.loc[found["incident_id"] == a, "n_reports"].iloc[0] == 2

    new = wf.split(op, b, "deux événements")
    assert sql.run(own_store, "operator", "incident_reports", {"incident_id": a})["report_id"].tolist() == [a]
    assert sql.run(own_store, "operator", "incident_reports", {"incident_id": new})["report_id"].tolist() == [b]
    found = search(own_store, "operator", base, text)
    assert new in set(found["incident_id"]) and a not in set(found["incident_id"])


LONG_TEXT = "Retard à l'ouverture du bureau de vote. " * 8 + "Bourrage d'URNES signalé près de l'école Sainte-Thérèse."


def ingest_long_report(store) -> str:
    """One report whose description is longer than an incident's title (280 characters)."""
    from vigie.ingest.inbox import drop_bytes, process_inbox

    drop_bytes(store.settings.inbox, ("date;commune;categorie;description\n"
                                      f"05/01/2023 10:00;Parakou;fraude;{LONG_TEXT}\n").encode(),
               "long.csv", source="observateurs")
    [result] = process_inbox(store, store.settings)
    assert result.accepted == 1
    return LONG_TEXT


def test_search_finds_accented_text_past_the_title_in_a_report(own_store, base):
    """The title holds a description's first 280 characters; the rest is searched in reports.search_text,
    folded at insert (accents and case ignored). Journalists never search report texts."""
    long_text = ingest_long_report(own_store)
    cur = own_store.raw_cursor()
    report_id, incident_id, title, search_text = cur.execute(
        """select r.report_id, r.incident_id, i.title, r.search_text
           from main.reports r join main.incidents i using (incident_id)
           where r.description = $d""", {"d": long_text}).fetchone()
    assert report_id == incident_id and "Thérèse" not in title  # a founder whose text outruns its title
    assert search_text == long_text.lower().replace("à", "a").replace("é", "e").replace("è", "e")
    for q in ("urnes signale pres de l'ECOLE sainte-therese", "Bourrage d'urnes signalé"):
        assert incident_id in set(search(own_store, "operator", base, q)["incident_id"]), q
    assert incident_id in set(search(own_store, "observer", base, "sainte-thérèse")["incident_id"])
    Workflow(own_store).set_status(User("op1", "Opératrice 1", "operator", ""),
                                   {incident_id: Workflow(own_store).states([incident_id])[incident_id].version}, "verifie")
    assert incident_id in set(search(own_store, "journalist", base, "retard a l'ouverture")["incident_id"])  # title
    assert search(own_store, "journalist", base, "sainte-therese").empty  # report text: not for journalists


def test_short_founding_reports_are_searched_through_their_title(own_store, base):
    """A report that founded its incident with a description that fits in the title stores no search
    text (the title has it); once moved out of that incident, it is searched by its own text."""
    cur = own_store.raw_cursor()
    stored = cur.execute(
        """select count(*) filter (where search_text is null),
                  count(*) filter (where search_text is null and (report_id <> incident_id or length(description) > 280)),
                  count(*) filter (where search_text is not null and search_text <> strip_accents(lower(description)))
           from main.reports""").fetchone()
    assert stored[0] > 0 and stored[1:] == (0, 0)
    # Through the title: every incident is found by its founding report's description.
    row = cur.execute("""select incident_id, description from main.reports r join main.incident_current using (incident_id)
                         where r.report_id = r.incident_id and status not in ('faux', 'doublon')
                         order by incident_id limit 1""").fetchone()
    assert row[0] in set(search(own_store, "operator", base, row[1].upper())["incident_id"])


def reopen(store: Store) -> Store:
    """Close the store and open its folder again, as a restart of the server does."""
    settings = store.settings
    store.close()
    return Store.open(settings)


@contextlib.contextmanager
def restarted(store: Store):
    """The store after a restart, closed at the end of the block."""
    reopened = reopen(store)
    try:
        yield reopened
    finally:
        reopened.close()


def test_search_text_of_reports_stored_before_version_6_is_filled_at_start(own_store, base):
    ingest_long_report(own_store)
    cur = own_store.raw_cursor()
    expected = cur.execute("select report_id, search_text from main.reports order by report_id").fetchall()
    cur.execute("update main.reports set search_text = null")
    cur.execute("delete from schema_version where version = 6")
    with restarted(own_store) as reopened:
        got = reopened.raw_cursor().execute("select report_id, search_text from main.reports order by report_id").fetchall()
        assert got == expected and any(text for _, text in got)
        assert not search(reopened, "operator", base, "sainte-therese").empty


def test_journalists_get_the_commune_centre_never_the_reports_point(fixture_store, base):
    journalist = fixture_store.cursor("journalist").execute(
        "select incident_id, commune_code, lat, lon, geo_precision from incidents").df()
    communes = fixture_store.cursor("journalist").execute("select commune_code, lat, lon from communes").df()
    located = journalist.dropna(subset=["commune_code"]).merge(communes, on="commune_code", suffixes=("", "_commune"))
    assert len(located) == journalist["commune_code"].notna().sum() > 0
    assert (located["lat"] == located["lat_commune"]).all() and (located["lon"] == located["lon_commune"]).all()
    assert journalist.loc[journalist["commune_code"].isna(), ["lat", "lon"]].isna().all().all()
    assert "point" not in set(journalist["geo_precision"])
    operator = fixture_store.cursor("operator").execute(
        "select incident_id, lat, lon from incidents where published and geo_precision = 'point'").df()
    both = operator.merge(journalist, on="incident_id", suffixes=("", "_journalist"))
    assert len(both) > 0 and (both["lat"] != both["lat_journalist"]).any()
    assert "commune_lat" not in fixture_store.cursor("operator").execute("select * from incidents limit 0").df().columns


def test_a_new_country_pack_refreshes_the_communes_kept_in_the_current_state(own_store):
    cur = own_store.raw_cursor()
    cur.execute("update main.incident_current set commune_lat = 0, commune_lon = 0")
    cur.execute("update meta set value = 'un autre pack' where key = 'pack'")
    with restarted(own_store) as reopened:
        stale = reopened.raw_cursor().execute(
            """select count(*) from main.incident_current i join main.communes c using (commune_code)
               where i.commune_lat is distinct from c.lat or i.commune_lon is distinct from c.lon""").fetchone()[0]
        assert stale == 0


def test_phone_numbers_and_emails_in_texts_are_masked_for_observers_and_journalists(fixture_store):
    """The texts themselves may carry a reporter's number or address; only operators read them whole."""
    phone, email = PII_MARKERS[1], PII_MARKERS[2]

    def texts(role: str, sql_text: str) -> list[str]:
        return [t for (t,) in fixture_store.cursor(role).execute(sql_text).fetchall() if t]

    operator = texts("operator", "select title from incidents")
    assert any(phone in t for t in operator) and any(email in t for t in operator)
    for role, sql_text in [("observer", "select title from incidents"),
                           ("observer", "select description from reports"),
                           ("journalist", "select title from incidents")]:
        got = texts(role, sql_text)
        assert got and not any(phone in t or email in t for t in got), (role, sql_text)
        assert any("[numéro masqué]" in t for t in got) and any("[adresse masquée]" in t for t in got)
    # The rest of the text is the operator's, word for word.
    whole = dict(fixture_store.cursor("operator").execute("select incident_id, title from incidents").fetchall())
    for incident_id, title in fixture_store.cursor("journalist").execute("select incident_id, title from incidents").fetchall():
        expected = re.sub(re.escape(phone) + r" 00 \d\d", "[numéro masqué]", whole[incident_id])
        assert title == expected.replace(email, "[adresse masquée]")


@pytest.mark.parametrize("text, masked", [
    ("appelez le 97 12 34 56 svp", "appelez le [numéro masqué] svp"),
    ("+229 97 12 34 56", "[numéro masqué]"),
    ("tel:0022997123456.", "tel:[numéro masqué]."),
    ("01 97 12 34 56 ou 97.12.34.56 ou 97-12-34-56", "[numéro masqué] ou [numéro masqué] ou [numéro masqué]"),
    ("écrire à temoin.x@example.org merci", "écrire à [adresse masquée] merci"),
    # What is not a phone number stays: dates, times, amounts, polling stations, years.
    ("le 28/12/2022 à 14h30, 28.12.2022, 2022-12-28", None),
    ("distribution de 10 000 000 FCFA et 2 000 000 FCFA", None),
    ("bureau de vote 12, 350 électeurs, années 2023 2024", None),
])
def test_contact_masking_rule(fixture_store, text, masked):
    got = fixture_store.raw_cursor().execute("select main.mask_contacts($t)", {"t": text}).fetchone()[0]
    assert got == (masked or text)


def test_a_changed_state_definition_rebuilds_the_current_state_at_start(own_store):
    """The cache of incident states is rebuilt when state.sql changes how it computes a column, not
    only when its columns change (an upgrade must not serve severities computed the old way)."""
    cur = own_store.raw_cursor()
    expected = cur.execute("select incident_id, severity, title from main.incident_current order by 1").fetchall()
    cur.execute("update main.incident_current set severity = 0, title = 'périmé'")
    cur.execute("update meta set value = 'une ancienne définition' where key = 'state_definition'")
    with restarted(own_store) as reopened:
        got = reopened.raw_cursor().execute(
            "select incident_id, severity, title from main.incident_current order by 1").fetchall()
        assert got == expected


def test_the_same_state_definition_keeps_the_current_state_at_start(own_store):
    """No rebuild when nothing changed: a start at a million incidents must not recompute them all."""
    cur = own_store.raw_cursor()
    cur.execute("update main.incident_current set title = 'gardé' where incident_id = (select min(incident_id) from main.incident_current)")
    with restarted(own_store) as reopened:
        assert reopened.raw_cursor().execute(
            "select count(*) from main.incident_current where title = 'gardé'").fetchone()[0] == 1
