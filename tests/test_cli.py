"""`python -m vigie ingest FILE…` as a real process: it processes the inbox itself when no server
holds the database, and only drops the files (and says so) when one does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from vigie.config import ROOT
from vigie.ingest.pipeline import split_inbox_name

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
# Holds the DuckDB file the way the running server does, and says so once it has the lock.
HOLDER = "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); print('verrou pris', flush=True); time.sleep(120)"


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "state"


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "VIGIE_HOME": str(home), "VIGIE_PACK": "benin", "VIGIE_DEMO": "0"}
    return subprocess.run([sys.executable, "-m", "vigie", "ingest", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_without_server_the_command_ingests_itself(home):
    done = run_cli(home, str(FEEDS / "native_fr_cp1252.csv"), str(FEEDS / "native.jsonl"), "--source", "sms")
    assert done.returncode == 0, done.stderr
    assert "Aucun serveur" in done.stdout
    assert "native_fr_cp1252.csv : 9 reçus = 5 acceptés + 0 doublons + 4 en quarantaine" in done.stdout
    assert "native.jsonl : 3 reçus = 2 acceptés + 0 doublons + 1 en quarantaine" in done.stdout
    assert list((home / "inbox").iterdir()) == []
    assert len(list((home / "processed").iterdir())) == 2
    con = duckdb.connect(str(home / "vigie.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from reports").fetchone()[0] == 7
        assert con.execute("select distinct source from reports").fetchall() == [("sms",)]
        assert con.execute("select count(*) from ingest_log where status = 'done'").fetchone()[0] == 2
    finally:
        con.close()


def test_with_a_server_holding_the_database_the_command_only_drops(home):
    home.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(home / "vigie.duckdb")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "verrou pris"  # returns "" if the holder died
        done = run_cli(home, str(FEEDS / "native_en_bom.csv"), "--source", "police")
    finally:
        holder.terminate()
        holder.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    assert "Serveur en cours" in done.stdout
    assert "Aucun serveur" not in done.stdout
    [dropped] = list((home / "inbox").iterdir())
    assert split_inbox_name(dropped.name) == ("police", "native_en_bom.csv")
    assert dropped.read_bytes() == (FEEDS / "native_en_bom.csv").read_bytes()
    assert list((home / "processed").iterdir()) == []


def test_missing_file_is_refused_with_exit_code_2(home):
    missing = home.parent / "absent.csv"
    done = run_cli(home, str(FEEDS / "native.jsonl"), str(missing))
    assert done.returncode == 2
    assert "introuvable" in done.stderr and str(missing) in done.stderr
    # Nothing is dropped when one of the files is missing: the command is all or nothing.
    inbox = home / "inbox"
    assert not inbox.exists() or list(inbox.iterdir()) == []
