"""The Meetings page in Chromium, two sessions at once: a party liaison follows its rallies while an operator
grants protection to one of them; the answer reaches the liaison's open page (no reload) within 5 seconds.
The liaison's page never carries another party's rally, nor the markup of rally 14's place (another party's).
Its own server over its own fixture state: the decision is written to it."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import make_settings
from tests.e2e.conftest import VIEWPORT, _running_server
from tests.e2e.test_browser import (GRID, GRID_JS, MAP, assert_no_exception, open_login, read_grid, script_idle,
                                    pick_option, submit_login, wait_until)
from vigie.sessions import COOKIE_NAME

pytestmark = pytest.mark.e2e

RALLY = 16  # Bloc républicain, in "today and 7 days" of the data clock, protection not given
UNIT = "Commissariat central de Cotonou"
OTHER_PARTIES = ("Les Démocrates", "Union progressiste le Renouveau")
LIVE_LIMIT_S = 5.0


@pytest.fixture(scope="module")
def meetings_site(tmp_path_factory, browser):
    from tests.fixture_data import build_fixture_state

    base = tmp_path_factory.mktemp("e2e-meetings")
    build_fixture_state(make_settings(base / "state"))
    with _running_server(base / "state", base / "server.log") as (base_url, _process):
        yield type("MeetingsSite", (), {"base_url": base_url})()


def _context(browser, dialogs: list[str], who: str):
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Africa/Porto-Novo")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(f"{who}: {dialog.type} {dialog.message!r}"), dialog.dismiss()))
    return context, page


def _login(page: Page, site, username: str, landing: str) -> None:
    open_login(page, site, "/")
    submit_login(page, username, f"test-{username}")
    expect(page.locator("h1").first).to_have_text(landing, timeout=30_000)
    script_idle(page)
    wait_until(lambda: any(c["name"] == COOKIE_NAME for c in page.context.cookies()), 20,
               message="the session cookie")


def _rally_row(page: Page, rally_id: int) -> dict[str, str] | None:
    """The cells of the rallies table's row `n° rally_id` among those in view (the grid's accessible table)."""
    state = page.locator(GRID).first.evaluate(GRID_JS)
    heads = state["heads"]
    rows: dict[str, dict[str, str]] = {}
    for r, c, text in state["cells"]:
        rows.setdefault(r, {})[heads.get(c, c)] = text
    return next((row for row in rows.values() if row.get("n°") == str(rally_id)), None)


def _encodings(text: str) -> tuple[bytes, bytes]:
    """`text` as it travels in a frame: UTF-8 (table cells, Arrow) or JSON with non-ASCII escaped (the map's
    deck, serialised by json.dumps)."""
    return text.encode("utf-8"), json.dumps(text)[1:-1].encode("ascii")


def test_party_sees_the_operators_decision_live(meetings_site, browser):
    site, dialogs, frames = meetings_site, [], []
    party_ctx, party = _context(browser, dialogs, "party")
    operator_ctx = None
    try:
        # Everything the server sends the liaison's page (the map's tooltip data comes this way too).
        party.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(
            payload if isinstance(payload, bytes) else payload.encode("utf-8"))))
        _login(party, site, "parti", "Meetings")  # the party's only page, its home
        expect(party.locator(MAP).first).to_be_visible(timeout=30_000)
        expect(party.locator(GRID).first.locator("td[role=gridcell]").first).to_be_attached(timeout=30_000)
        assert_no_exception(party)
        rows = read_grid(party)
        assert {r["Parti"] for r in rows} == {"Bloc républicain"}, rows
        before = next(r for r in rows if r["n°"] == str(RALLY))
        assert before["Protection"] == "non renseignée" and UNIT not in before["Unité"], before
        navigations: list[str] = []
        party.on("framenavigated", lambda f: navigations.append(f.url) if f == party.main_frame else None)

        operator_ctx, operator = _context(browser, dialogs, "operator")
        _login(operator, site, "operateur", "Vue d'ensemble")
        operator.goto(f"{site.base_url}/meetings?meeting={RALLY}")
        form = operator.locator('[data-testid="stForm"]').filter(has=operator.get_by_role(
            "button", name="Enregistrer la décision"))
        expect(form).to_be_visible(timeout=30_000)
        expect(operator.get_by_text(f"Meeting n°{RALLY} — Bloc républicain")).to_be_visible()
        script_idle(operator)
        pick_option(operator, form, "Statut de protection", "accordée")
        form.get_by_label("Unité affectée (vide : aucune)").fill(UNIT)
        form.get_by_role("button", name="Enregistrer la décision").click()
        expect(operator.get_by_text("Décision enregistrée.")).to_be_visible(timeout=20_000)
        saved_at = time.monotonic()
        assert_no_exception(operator)

        def answered():
            row = _rally_row(party, RALLY)
            return row if row and row.get("Protection") == "accordée" and row.get("Unité") == UNIT else None

        row = wait_until(answered, LIVE_LIMIT_S + 10, interval=0.1, message=f"the decision on rally {RALLY}")
        elapsed = time.monotonic() - saved_at
        print(f"\nthe party's page showed the decision {elapsed:.2f} s after the operator's success message")
        assert elapsed < LIVE_LIMIT_S, f"the decision took {elapsed:.1f} s to reach the party's page"
        assert not navigations, f"the party's page reloaded: {navigations}"
        assert row["Parti"] == "Bloc républicain", row

        # Never another party's rally, on screen, in the table or in anything the page received.
        body = party.locator("body").inner_text()
        received = b"".join(frames)
        # The check can fail: the map's own tooltip data ("commune — place") and the party's name are there.
        assert all(enc in received for enc in _encodings("Bloc républicain"))
        assert _encodings(f" — Place du meeting {RALLY - 1}")[1] in received  # its marker's tooltip place
        for name in OTHER_PARTIES:
            assert name not in body, f"{name!r} on the party's page"
            assert not any(enc in received for enc in _encodings(name)), f"{name!r} sent to the party's page"
        assert {r["Parti"] for r in read_grid(party)} == {"Bloc républicain"}
        # Rally 14's place carries an <img onerror> (another party's rally): not escaped, simply absent.
        assert b"<img" not in received.lower() and b"&lt;img" not in received.lower()
        assert b"onerror" not in received.lower() and b"img src=x" not in received.lower()
        assert party.locator('img[src="x"], .deck-tooltip img').count() == 0
        assert_no_exception(party)
    finally:
        if operator_ctx is not None:
            operator_ctx.close()
        party_ctx.close()
    assert not dialogs, f"a page opened a JavaScript dialog (HTML injection?): {dialogs}"
