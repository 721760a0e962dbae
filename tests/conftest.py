"""Shared fixtures: real DuckDB files in temporary state folders, built from deterministic data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vigie.config import Settings
from vigie.store import Store

FIXTURES = Path(__file__).parent / "fixtures"


def make_settings(home: Path, pack: str = "benin") -> Settings:
    return Settings(home=home, pack=pack, users_file=FIXTURES / "users.toml", demo=False, clock="data")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = make_settings(tmp_path / "state")
    s.ensure_dirs()
    return s


@pytest.fixture
def store(settings: Settings):
    st = Store.open(settings)
    yield st
    st.close()


@pytest.fixture(scope="session")
def fixture_home(tmp_path_factory) -> Path:
    """A state folder with the deterministic fixture scenario ingested (see tests/fixture_data.py)."""
    from tests.fixture_data import build_fixture_state

    home = tmp_path_factory.mktemp("fixture") / "state"
    build_fixture_state(make_settings(home))
    return home


@pytest.fixture(scope="session")
def fixture_store(fixture_home: Path):
    st = Store.open(make_settings(fixture_home))
    yield st
    st.close()


@pytest.fixture(autouse=True)
def _no_real_state(monkeypatch, tmp_path):
    """Tests never touch the developer's state folder."""
    if "VIGIE_HOME" not in os.environ:
        monkeypatch.setenv("VIGIE_HOME", str(tmp_path / "default-state"))


# Row counts of whole tables, for before/after comparisons in tests. Table names come from this
# allow-list only; SQL is never built from values.
COUNT_SQL = {
    table: "select count(*) from main." + table
    for table in ("reports", "incidents", "quarantine", "status_events", "rallies", "claims", "ingest_log")
}
COUNT_SINCE_SQL = {
    table: "select count(*) from main." + table + " where ingest_seq = $seq"
    for table in ("reports", "quarantine", "rallies", "claims")
}


def count_rows(store, table: str) -> int:
    return store.raw_cursor().execute(COUNT_SQL[table]).fetchone()[0]


@pytest.fixture(scope="module")
def module_store(tmp_path_factory):
    """One real store shared by a module's tests, each reading back only its own ingest: (store, settings)."""
    settings = make_settings(tmp_path_factory.mktemp("module") / "state")
    st = Store.open(settings)
    yield st, settings
    st.close()
