"""A real Vigie server on a fixture state folder, and headless Chromium driven by Playwright.

The state folder is built (and read, for the expected titles) BEFORE the server starts: afterwards
the server process owns the DuckDB file, and tests reach it only through the inbox and the browser.
Chromium is Debian's (/usr/bin/chromium); `playwright install` is never needed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60.0
VIEWPORT = {"width": 1400, "height": 1000}


@dataclass
class FixtureFacts:
    """What the tests expect, read from the fixture database before the server owns it."""

    n_incidents: int  # every incident in the database
    totals: dict[str, int]  # "Incidents (période)" expected per role, with the default filters
    published_titles: set[str]  # as a journalist gets them: contacts masked
    hidden_titles: set[str]  # held back, false, under verification or new: never for journalists
    commune_names: set[str]
    xss_commune: str  # the commune of the incident whose text tries to inject HTML
    xss_date: str  # its day, ISO


@dataclass
class Server:
    base_url: str
    home: Path
    inbox: Path
    log_path: Path
    process: subprocess.Popen
    facts: FixtureFacts
    dropped: list[str] = field(default_factory=list)  # descriptions dropped into the inbox by tests

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing (apt install chromium); browser tests skipped")
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            if not Path(CHROMIUM).exists():
                item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so the page fixture can take a screenshot on failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _read_facts(home: Path) -> FixtureFacts:
    import datetime as dt

    from tests.conftest import make_settings
    from vigie import sql
    from vigie.filters import from_query_params
    from vigie.store import Store

    store = Store.open(make_settings(home))
    try:
        params = {**from_query_params({}, store.pack).params(), "now": dt.datetime(2023, 1, 11)}
        totals = {role: int(sql.run(store, role, "overview_kpis", params)["n_incidents"].iloc[0])
                  for role in ("operator", "observer", "journalist")}
        cur = store.cursor("operator")
        rows = cur.execute("select title, published from incidents").fetchall()
        # Titles as observers and journalists get them (phone numbers and e-mails masked).
        masked = store.cursor("observer").execute("select title, published from incidents").fetchall()
        xss = cur.execute(
            """
            select c.commune, cast(i.occurred_local as date)
            from incidents i join communes c using (commune_code)
            where i.title like '%<script>%'
            """
        ).fetchone()
        names = {r[0] for r in cur.execute("select commune from communes").fetchall()}
    finally:
        store.close()
    assert xss, "the fixture's HTML-injection report is missing"
    return FixtureFacts(
        n_incidents=len(rows),
        totals=totals,
        published_titles={t for t, published in masked if published},
        hidden_titles={t for t, published in rows + masked if not published},
        commune_names=names,
        xss_commune=xss[0],
        xss_date=xss[1].isoformat(),
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)  # the server's own process group (start_new_session)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def _running_server(home: Path, log_path: Path, users: Path | None = None):
    """`streamlit run serve.py` on a free local port with VIGIE_HOME=home (and the accounts file `users`,
    else the fixture's); yields (base URL, process)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.update(
        VIGIE_HOME=str(home),
        VIGIE_USERS=str(users or ROOT / "tests" / "fixtures" / "users.toml"),
        VIGIE_CLOCK="data",
        PYTHONUNBUFFERED="1",
    )
    base_url = f"http://127.0.0.1:{port}"

    def tail(n: int = 60) -> str:
        try:
            return "\n".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"

    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while True:
                if process.poll() is not None:
                    pytest.fail(f"the Streamlit server exited with {process.returncode}:\n{tail()}")
                try:
                    with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as resp:
                        if resp.status == 200 and resp.read().strip() == b"ok":
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"the Streamlit server was not healthy after {STARTUP_TIMEOUT:.0f} s:\n{tail()}")
                time.sleep(0.2)
            yield base_url, process
        finally:
            _stop(process)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The fixture scenario served by a real server: build the state, start it, wait until healthy."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    from tests.conftest import make_settings
    from tests.fixture_data import build_fixture_state

    base = tmp_path_factory.mktemp("e2e")
    home = base / "state"
    build_fixture_state(make_settings(home))
    facts = _read_facts(home)  # before the server opens (and locks) the database
    log_path = base / "server.log"
    with _running_server(home, log_path) as (base_url, process):
        yield Server(base_url, home, home / "inbox", log_path, process, facts)


@pytest.fixture(scope="session")
def fresh_server(tmp_path_factory):
    """A second server that nobody ever logs in to: what the first visitors after a restart see.

    Streamlit keeps one page registry per server, filled by the first st.navigation call; until some
    session has logged in (app.py calls st.navigation only then), it is not filled. Empty state: the
    logged-out pages never open the database.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    base = tmp_path_factory.mktemp("e2e-fresh")
    with _running_server(base / "state", base / "server.log") as (base_url, _process):
        yield base_url


@pytest.fixture(scope="session")
def dialogs() -> list[str]:
    """Every JavaScript dialog (alert/confirm/prompt) any page opened during the session."""
    return []


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go: $VIGIE_E2E_SHOTS, else a temporary folder (its path is printed)."""
    chosen = os.environ.get("VIGIE_E2E_SHOTS")
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return Path(chosen)
    return tmp_path_factory.mktemp("e2e-screenshots")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, server, dialogs, shots, request):
    """A fresh browser context (a new Streamlit session, not logged in) per test."""
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Africa/Porto-Novo")
    context.set_default_timeout(20_000)
    pg = context.new_page()

    def on_dialog(dialog):
        dialogs.append(f"{request.node.name}: {dialog.type} {dialog.message!r}")
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    before = len(dialogs)
    try:
        yield pg
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            path = shots / f"FAILED-{request.node.name}.png"
            pg.screenshot(path=str(path), full_page=True)
            print(f"\nscreenshot of the failure: {path}\nserver log:\n{server.log_tail(30)}")
    finally:
        context.close()
    assert not dialogs[before:], f"a page opened a JavaScript dialog (HTML injection?): {dialogs[before:]}"

