"""The Alertes page in a real browser: an operator acknowledges an open alert with a note, and the overview
links to the open alerts. Its own server: acknowledging changes the state that other browser tests read."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import make_settings
from tests.e2e.conftest import VIEWPORT, _running_server
from tests.e2e.test_browser import assert_no_exception, open_login, script_idle, submit_login

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def alerts_site(tmp_path_factory, browser):
    from tests.fixture_data import build_fixture_state
    from vigie import alerts, notify
    from vigie.store import Store

    base = tmp_path_factory.mktemp("e2e-alerts")
    settings = make_settings(base / "state")
    build_fixture_state(settings)
    store = Store.open(settings)  # one pass of the rules before the server owns the file
    try:
        n_open = len(alerts.evaluate(store, notify_config=notify.NotifyConfig()).raised)
    finally:
        store.close()
    assert n_open >= 2
    with _running_server(base / "state", base / "server.log") as (base_url, _process):
        yield base_url, n_open


def test_operator_acknowledges_an_alert(alerts_site, browser):
    base_url, n_open = alerts_site
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Africa/Porto-Novo")
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        open_login(page, type("S", (), {"base_url": base_url})())
        submit_login(page, "operateur", "test-operateur")
        expect(page.locator("h1").first).to_have_text("Vue d'ensemble", timeout=30_000)
        link = page.get_by_role("link", name=re.compile(rf"{n_open} alerte\(s\) ouverte\(s\)"))
        expect(link).to_be_visible(timeout=30_000)
        link.click()
        expect(page.locator("h1").first).to_have_text("Alertes", timeout=30_000)
        assert "/alertes" in page.url
        expect(page.get_by_text(f"Alertes ouvertes ({n_open})")).to_be_visible()
        script_idle(page)
        page.get_by_label("Note (ce qui est fait, gardée dans l'historique)").fill("Unité de Parakou en route")
        page.get_by_role("button", name="Acquitter").click()
        expect(page.get_by_text("Alerte acquittée.")).to_be_visible(timeout=20_000)
        expect(page.get_by_text(f"Alertes ouvertes ({n_open - 1})")).to_be_visible(timeout=20_000)
        assert_no_exception(page)
    finally:
        context.close()
