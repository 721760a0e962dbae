"""Real parts for the DuckLake tests, started by the tests themselves: a PostgreSQL 15 catalog (Debian's
package, its own data folder, run as the `postgres` user) and moto's S3-compatible server, both on
loopback. A test that needs one skips, saying why, only when the binaries are missing."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("VIGIE_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the `postgres` user when we are root."""
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


@dataclass
class Postgres:
    folder: Path
    port: int

    def dsn(self, dbname: str) -> str:
        """A DuckLake catalog string for database `dbname` (libpq key=value form)."""
        return f"postgres:dbname={dbname} host=127.0.0.1 port={self.port} user=postgres"

    def create_database(self, name: str | None = None) -> str:
        name = name or "vigie_" + uuid.uuid4().hex[:10]
        subprocess.run(_as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                                     "-U", "postgres", name]), check=True, capture_output=True)
        return name


def start_postgres() -> tuple[Postgres, callable]:
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        pytest.skip(f"PostgreSQL introuvable dans {PG_BIN} (paquet Debian postgresql-15)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("runuser introuvable : PostgreSQL ne peut pas être lancé en tant que postgres")
    folder = Path(tempfile.mkdtemp(prefix="vigie-pg-"))
    os.chmod(folder, 0o755)
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                                 "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=200"
    subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                                 str(folder / "log"), "-w", "-t", "60", "start"]), check=True, capture_output=True)

    def stop() -> None:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)

    return Postgres(folder, port), stop


@dataclass
class S3:
    endpoint: str  # host:port, as DuckDB's S3 secret wants it
    bucket: str

    def env(self, prefix: str) -> dict[str, str]:
        return {"VIGIE_LAKE_DATA": f"s3://{self.bucket}/{prefix}/", "VIGIE_S3_ENDPOINT": self.endpoint,
                "VIGIE_S3_KEY_ID": "test", "VIGIE_S3_SECRET": "test", "VIGIE_S3_REGION": "us-east-1",
                "VIGIE_S3_URL_STYLE": "path", "VIGIE_S3_USE_SSL": "false"}


def start_s3() -> tuple[S3, callable]:
    try:
        import boto3  # noqa: F401
        import moto.server  # noqa: F401
    except ImportError:
        pytest.skip("moto[server] n'est pas installé (requirements-dev.txt)")
    import boto3

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id="test",
                          aws_secret_access_key="test", region_name="us-east-1")
    deadline = time.monotonic() + 30
    while True:
        try:
            client.create_bucket(Bucket="vigie")
            break
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.2)

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()

    return S3(f"127.0.0.1:{port}", "vigie"), stop


@pytest.fixture(scope="session")
def postgres():
    pg, stop = start_postgres()
    yield pg
    stop()


@pytest.fixture(scope="session")
def s3():
    server, stop = start_s3()
    yield server
    stop()


@pytest.fixture
def lake_env(postgres, s3, monkeypatch):
    """Environment of a fresh lake: its own catalog database and its own prefix in the bucket."""
    db = postgres.create_database()
    env = {"VIGIE_LAKE_CATALOG": postgres.dsn(db), **s3.env(db)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def every_param(store) -> dict:
    """A value for every parameter any query of queries/ takes: the fixture's whole period."""
    from vigie.filters import from_query_params

    params = from_query_params({}, store.pack).params()
    now = params["date_to"]
    return {**params, "q": "", "limit": 50, "offset": 0, "bucket": "day", "incident_id": 7, "now": now,
            "today": now.date(), "platforms": [], "search": "", "verdicts": [], "claim_id": 1,
            "day": dt.date(2023, 1, 5), "utc_from": params["date_from"], "utc_to": params["date_to"],
            "state": "", "due_before": None, "min_count": 1, "until": now + dt.timedelta(days=2),
            "since": params["date_from"], "older_than": now, "ids": [1, 2], "history_from": params["date_from"],
            "rally_id": 13, "before_hours": 3, "after_hours": 6}
