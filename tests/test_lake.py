"""The DuckLake backend against the single-file store: the same rows give the same answers to every query of
queries/ for every role it allows; ingest, the audit trail and compaction work on a lake with a real
PostgreSQL catalog and a real S3-compatible server (tests/lake_fixtures.py starts both)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import make_settings
from tests.fixture_data import N_REPORTS, PII_MARKERS, build_fixture_state
from tests.lake_fixtures import every_param, postgres, s3  # noqa: F401  (fixtures)
from vigie import lake, sql
from vigie.store import Event, Store

# Tables the lake's own migration fills (the country pack, bookkeeping) or that are caches of the others.
NOT_COPIED = {"communes", "departements", "meta", "schema_version", "incident_current", "refresh_ids"}
# A real PostgreSQL and S3 server, and the fixture built twice: tens of seconds, run with the slow tests.
pytestmark = pytest.mark.e2e
REPORTER_FIELDS = {"reporter_name", "reporter_phone", "reporter_contact", "raw"}


def lake_env_for(postgres, s3) -> dict[str, str]:  # noqa: F811
    db = postgres.create_database()
    return {"VIGIE_LAKE_CATALOG": postgres.dsn(db), **s3.env(db)}


@pytest.fixture(scope="module")
def lake_env(postgres, s3):  # noqa: F811
    with pytest.MonkeyPatch.context() as mp:
        env = lake_env_for(postgres, s3)
        for key, value in env.items():
            mp.setenv(key, value)
        yield env


@pytest.fixture(scope="module")
def lake_copy(fixture_store, lake_env, tmp_path_factory):
    """A lake holding exactly the rows of the single-file fixture store (copied table by table), so that
    every difference in an answer is the backend's."""
    store = Store.open(make_settings(tmp_path_factory.mktemp("lake") / "state"))
    source = fixture_store.raw_cursor()
    tables = [r[0] for r in source.execute(
        "select table_name from duckdb_tables() where schema_name = 'main' and database_name = current_database()"
    ).fetchall() if r[0] not in NOT_COPIED and not r[0].endswith("_seq")]

    def copy(cur):
        for table in tables:  # names from the catalog of our own fixture, never input
            rows = source.execute(f"select * from main.{table}").to_arrow_table()
            cur.register("copied", rows)
            cur.execute(f"insert into main.{table} select * from copied")
            cur.unregister("copied")
        store.refresh_current(full=True, cur=cur)

    store.transact(copy, "test")
    yield store
    store.close()


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in one order whatever the backend's order of ties."""
    if frame.empty:
        return frame.reset_index(drop=True)
    keys = frame.map(repr)
    return frame.iloc[keys.sort_values(list(keys.columns)).index].reset_index(drop=True)


def test_every_query_for_every_role_answers_the_same_on_a_lake(fixture_store, lake_copy):
    values = every_param(fixture_store)
    ran = 0
    for name in sql.names():
        query = sql.load(name)
        for role in sorted(query.roles):
            given = {k: v for k, v in values.items() if k in query.params}
            party = "Bloc républicain" if role == "party" else None  # the fixture's party liaison's
            want = sql.run(fixture_store, role, name, given, party)
            got = sql.run(lake_copy, role, name, given, party)
            assert list(got.columns) == list(want.columns), (name, role)
            pd.testing.assert_frame_equal(_canonical(got), _canonical(want), check_dtype=False,
                                          obj=f"{name} ({role})")
            ran += 1
    assert ran > 100


def test_the_copy_is_not_empty(lake_copy):
    """Guards the comparison above: it compares the fixture, not two empty stores."""
    cur = lake_copy.cursor("journalist")
    assert 0 < cur.execute("select count(*) from incidents").fetchone()[0] < N_REPORTS


def test_journalist_on_a_lake_receives_no_reporter_field(lake_copy):
    for table in ("incidents", "reports", "status_events"):
        frame = lake_copy.cursor("journalist").execute(f"select * from {table}").df()  # fixed names
        assert REPORTER_FIELDS.isdisjoint(frame.columns)
        assert PII_MARKERS[0] not in frame.astype(str).to_csv()  # the reporter's name, in no column
        # Numbers and addresses written in a text are masked in what is shown. (search_title, the folded
        # text the search compares, keeps them on both backends: reported, not this backend's to change.)
        shown = frame.drop(columns=["search_title"], errors="ignore").astype(str).to_csv()
        assert not any(marker in shown for marker in PII_MARKERS)


@pytest.fixture(scope="module")
def lake_ingested(lake_env, postgres, s3, tmp_path_factory):  # noqa: F811
    """The fixture scenario ingested through the real inbox path into its own lake."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in lake_env_for(postgres, s3).items():
            mp.setenv(key, value)
        settings = make_settings(tmp_path_factory.mktemp("lake-ingest") / "state")
        build_fixture_state(settings)
        store = Store.open(settings)
        yield store
        store.close()


def test_ingest_on_a_lake_groups_like_the_file(fixture_store, lake_ingested):
    query = "select incident_id, n_reports, status, published from incidents order by incident_id"
    want = fixture_store.cursor("operator").execute(query).df()
    got = lake_ingested.cursor("operator").execute(query).df()
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert lake_ingested.raw_cursor().execute("select count(*) from reports").fetchone()[0] == N_REPORTS


def test_ids_of_a_lake_come_from_its_one_row_tables(lake_ingested):
    before = lake_ingested.raw_cursor().execute("select last_id from event_seq").fetchone()[0]
    first = lake_ingested.next_ids("event_seq", 3)
    second = lake_ingested.next_ids("event_seq", 2)
    assert first == [before + 1, before + 2, before + 3] and second == [before + 4, before + 5]


def test_events_and_replace_row_on_a_lake(lake_ingested):
    incident = int(lake_ingested.raw_cursor().execute("select min(incident_id) from incidents").fetchone()[0])
    lake_ingested.record_events([Event(incident, "assigned_unit", "BAC-Test", "test")])
    row = lake_ingested.cursor("operator").execute(
        "select assigned_unit from incidents where incident_id = $i", {"i": incident}).fetchone()
    assert row == ("BAC-Test",)
    lake_ingested.replace_row("meta", {"key": "test_key", "value": "1"})
    lake_ingested.replace_row("meta", {"key": "test_key", "value": "2"})
    assert lake_ingested.raw_cursor().execute(
        "select list(value) from meta where key = 'test_key'").fetchone()[0] == ["2"]


def test_compaction_keeps_the_audit_trail(lake_ingested):
    cur = lake_ingested.raw_cursor()
    events = cur.execute("select * from status_events order by event_id").df()
    incidents = cur.execute("select * from incident_current order by incident_id").df()
    done = lake.compact(lake_ingested.con, keep="0 seconds")
    assert done.expired > 0  # every snapshot but the latest
    cur = lake_ingested.raw_cursor()
    pd.testing.assert_frame_equal(cur.execute("select * from status_events order by event_id").df(), events)
    pd.testing.assert_frame_equal(cur.execute("select * from incident_current order by incident_id").df(), incidents)


def test_incident_current_is_written_with_its_own_parquet_options(lake_copy):
    """The table every page query scans is written uncompressed (vigie.lake.TABLE_OPTIONS); the others keep
    DuckLake's default codec."""
    cur = lake_copy.raw_cursor()

    def codecs(table: str) -> set[str]:
        files = [r[0] for r in cur.execute("select data_file from ducklake_list_files('lake', $t)",
                                           {"t": table}).fetchall()]
        assert files, table
        return {r[0] for r in cur.execute("select distinct compression from parquet_metadata($f)",
                                          {"f": files}).fetchall()}

    assert codecs("incident_current") == {"UNCOMPRESSED"}
    assert codecs("reports") != {"UNCOMPRESSED"}
