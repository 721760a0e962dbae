"""The Désinformation page in Chromium: hostile text in every claim field (text, link, debunk link,
platform) is shown as text, never runs, and never becomes a clickable `javascript:` link.

The claims are written into the state folder before the server starts (afterwards the server owns the
DuckDB file): straight into the table, as a feed bug or a future adapter might let them through, since
the claims feed itself refuses any link that is not http(s).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import _running_server
from tests.e2e.test_browser import assert_no_exception, open_login, script_idle, submit_login, wait_until
from vigie.sessions import COOKIE_NAME

pytestmark = pytest.mark.e2e

# Each payload sets window.__xss when it runs (and tries alert(), which the page fixture records).
RUN = "window.__xss=(window.__xss||[]).concat('{0}');alert('{0}')"
HOSTILE = [
    {"platform": f"<img src=x onerror=\"{RUN.format('platform')}\">", "url": f"javascript:{RUN.format('url')}",
     "text": f"<script>{RUN.format('text')}</script><a href=\"javascript:{RUN.format('a')}\">clic</a>",
     "debunk_url": f"JavaScript:{RUN.format('debunk')}"},
    {"platform": "facebook", "url": "https://facebook.com/p/1\"><svg onload=alert('svg')>",
     "text": "**gras** [lien](javascript:alert('md')) <b onmouseover=alert('b')>survol</b>",
     "debunk_url": " javascript:alert('space')"},
]
GRID = '[data-testid="stDataFrame"]'
HREFS_JS = "() => [...document.querySelectorAll('[href]')].map(e => e.getAttribute('href'))"


@pytest.fixture(scope="module")
def claims_server(tmp_path_factory):
    from pathlib import Path

    from tests.browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    from tests.conftest import make_settings
    from tests.fixture_data import build_fixture_state
    from vigie.store import Store

    base = tmp_path_factory.mktemp("e2e-claims")
    home = base / "state"
    settings = make_settings(home)
    build_fixture_state(settings)
    store = Store.open(settings)
    try:
        cur = store.raw_cursor()
        for i, claim in enumerate(HOSTILE, start=1):
            cur.execute("""insert into main.claims values ($id, 0, $platform, $url, $text,
                           timestamp '2023-01-05 12:00', 1000, 'faux', $debunk_url, null)""", {"id": i, **claim})
    finally:
        store.close()
    with _running_server(home, base / "server.log") as (base_url, process):
        yield type("ClaimsServer", (), {"base_url": base_url, "log_tail": lambda self, n=30: ""})()


@pytest.fixture
def claims_page(browser, claims_server):
    """A fresh browser context per test (the shared `page` fixture would start the main server too);
    every JavaScript dialog a page opens fails the test."""
    from tests.e2e.conftest import VIEWPORT

    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Africa/Porto-Novo")
    context.set_default_timeout(20_000)
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda dialog: (dialogs.append(f"{dialog.type} {dialog.message!r}"), dialog.dismiss()))
    try:
        yield pg
    finally:
        context.close()
    assert not dialogs, f"a page opened a JavaScript dialog (HTML injection): {dialogs}"


def _login(page: Page, server, username: str, path: str) -> None:
    """Log in at the root, then open `path` (the session cookie keeps the login across the load)."""
    open_login(page, server, "/")
    submit_login(page, username, f"test-{username}")
    landing = "Désinformation" if username == "verificateur" else "Vue d'ensemble"  # a role's default page
    expect(page.locator("h1").first).to_have_text(landing, timeout=30_000)
    script_idle(page)
    wait_until(lambda: any(c["name"] == COOKIE_NAME for c in page.context.cookies()), 20,
               message="the session cookie")
    page.goto(server.base_url + path)


@pytest.mark.parametrize("username", ["operateur", "journaliste", "verificateur"])
@pytest.mark.parametrize("claim", [1, 2])
def test_hostile_claims_never_run_and_never_link_javascript(claims_page: Page, claims_server, username, claim):
    page = claims_page
    _login(page, claims_server, username, f"/desinformation?affirmation={claim}")
    expect(page.locator("h1").first).to_have_text("Désinformation", timeout=30_000)
    expect(page.locator(GRID).first).to_be_visible(timeout=30_000)
    # The claim's own text, drawn as text (st.text): the payload is visible as characters.
    expect(page.get_by_text(HOSTILE[claim - 1]["text"], exact=True)).to_be_visible(timeout=30_000)
    script_idle(page)
    assert_no_exception(page)
    dialog = page.locator('[data-testid="stDialog"]')
    assert dialog.count() == 0, dialog.first.inner_text()  # e.g. "Page not found" for a shared link
    page.locator(GRID).first.hover()  # mouse over the table: an onmouseover payload would fire here
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__xss") is None, "a claim field ran as script"
    hrefs = page.evaluate(HREFS_JS)
    assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:", "vbscript:"))], hrefs
    assert page.locator('img[src="x"], svg[onload], b[onmouseover]').count() == 0
    grid_text = page.locator(GRID).first.inner_text()
    assert "javascript:" not in grid_text.lower(), "a javascript: link reached a link column"
