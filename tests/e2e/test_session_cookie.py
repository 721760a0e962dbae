"""The login cookie in a real browser: a reload keeps the login; logout, a role changed by an admin and
a disabled account end it. The cookie's flags are read from Chromium's own cookie jar.

Its own server (empty state, a copy of the test accounts that the Administration page may rewrite),
so that changing accounts cannot disturb the other browser tests.
"""

from __future__ import annotations

import shutil
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.conftest import FIXTURES
from tests.e2e.conftest import VIEWPORT, _running_server
from tests.e2e.test_browser import open_login, pick_option, script_idle, submit_login, wait_until
from vigie.auth import load_users
from vigie.sessions import COOKIE_NAME, DEFAULT_HOURS

pytestmark = pytest.mark.e2e
LOGOUT = "Se déconnecter"


class Site:
    def __init__(self, base_url: str, users):
        self.base_url, self.users = base_url, users


@pytest.fixture(scope="module")
def site(tmp_path_factory, browser):
    base = tmp_path_factory.mktemp("e2e-session")
    users = base / "users.toml"
    shutil.copy(FIXTURES / "users.toml", users)
    with _running_server(base / "state", base / "server.log", users=users) as (base_url, _process):
        yield Site(base_url, users)


@pytest.fixture
def new_context(browser):
    contexts = []

    def make():
        context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Africa/Porto-Novo")
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def session_cookie(context) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == COOKIE_NAME), None)


def log_in(context, site, username: str):
    page = context.new_page()
    open_login(page, site, "/")
    submit_login(page, username, f"test-{username}")
    expect(page.get_by_role("button", name=LOGOUT)).to_be_visible(timeout=30_000)
    wait_until(lambda: session_cookie(context), 10, message="the session cookie")
    return page


def expect_logged_in(page, name: str) -> None:
    expect(page.get_by_role("button", name=LOGOUT)).to_be_visible(timeout=30_000)
    expect(page.get_by_text(name)).to_be_visible()
    assert page.get_by_label("Identifiant").count() == 0


def expect_login_form(page) -> None:
    expect(page.get_by_label("Identifiant")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name=LOGOUT)).to_have_count(0)


def set_role(admin, role: str) -> None:
    """On the Comptes page, the chosen account's role, saved. Choosing the account reruns the page and
    replaces the role widget, so each attempt starts from a finished page and a fresh lookup."""
    for attempt in range(3):
        script_idle(admin)
        combobox = admin.get_by_role("combobox", name="Rôle").nth(1)  # the first is the creation form's
        try:
            combobox.scroll_into_view_if_needed(timeout=5_000)  # a scroll while the list is open closes it
            combobox.click(timeout=5_000)
            admin.keyboard.type(role)  # the list keeps only that role
            admin.keyboard.press("Enter")
            expect(combobox).to_have_value(role, timeout=5_000)
            break
        except (PlaywrightError, AssertionError):
            if attempt == 2:
                raise
            admin.keyboard.press("Escape")
            admin.wait_for_timeout(500)
    script_idle(admin)
    admin.get_by_role("button", name="Enregistrer").click()
    expect(admin.get_by_text("Enregistré.")).to_be_visible()
    script_idle(admin)


def test_reload_keeps_the_login_and_logout_ends_it(site, new_context):
    context = new_context()
    page = log_in(context, site, "observateur")
    cookie = session_cookie(context)
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert cookie["secure"] is False  # plain http here; https sets Secure
    lifetime = cookie["expires"] - time.time()
    assert DEFAULT_HOURS * 3600 - 120 < lifetime <= DEFAULT_HOURS * 3600
    assert COOKIE_NAME not in page.evaluate("document.cookie")  # out of JavaScript's reach

    page.reload()
    expect_logged_in(page, "Observateur (test) — Observateur")
    expect(page.locator("h1").first).to_have_text("Vue d'ensemble")
    page.goto(site.base_url + "/carte")  # a new tab's worth: a new Streamlit session, same cookie
    expect_logged_in(page, "Observateur (test) — Observateur")
    expect(page.locator("h1").first).to_have_text("Carte")

    page.get_by_role("button", name=LOGOUT).click()
    expect_login_form(page)
    wait_until(lambda: session_cookie(context) is None, 10, message="the cookie cleared at logout")
    page.reload()
    expect_login_form(page)

    # A copy of the cookie kept from before the logout (a stolen one) opens nothing: it was revoked.
    context.add_cookies([cookie])
    page.reload()
    expect_login_form(page)
    page.wait_for_timeout(500)
    assert page.get_by_role("button", name=LOGOUT).count() == 0


def test_role_changed_by_an_admin_or_account_disabled_ends_the_cookie(site, new_context):
    operator_context = new_context()
    operator = log_in(operator_context, site, "operateur")
    old_cookie = session_cookie(operator_context)

    admin = log_in(new_context(), site, "admin")
    admin.goto(site.base_url + "/comptes")
    expect(admin.locator("h1").first).to_have_text("Comptes")
    pick_option(admin, admin, "Compte", "operateur")
    set_role(admin, "Observateur")
    assert load_users(site.users)["operateur"].role == "observer"

    operator.reload()
    expect_login_form(operator)
    # Changed back, the account's old cookie stays dead: the change revoked it, not only the role check.
    set_role(admin, "Opérateur")
    assert load_users(site.users)["operateur"].role == "operator"
    operator_context.add_cookies([old_cookie])
    operator.reload()
    expect_login_form(operator)

    # Disabled by hand in the accounts file: the cookie no longer opens a session either.
    observer_context = new_context()
    observer = log_in(observer_context, site, "observateur")
    text = site.users.read_text()
    site.users.write_text(text.replace('role = "observer"', 'role = "observer"\ndisabled = true', 1))
    try:
        observer.reload()
        expect_login_form(observer)
    finally:
        site.users.write_text(text)


def test_the_cookie_route_refuses_cross_site_requests_and_unknown_tickets(site):
    def send(method: str, body: bytes = b"", **headers) -> tuple[int, str]:
        request = urllib.request.Request(f"{site.base_url}/_vigie/session", data=body or None, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers.get("set-cookie", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("set-cookie", "")

    assert send("POST", b"not-a-ticket") == (400, "")
    assert send("POST", b"x" * 100_000) == (400, "")
    assert send("POST", b"not-a-ticket", **{"Sec-Fetch-Site": "cross-site"}) == (403, "")
    assert send("DELETE", Origin="http://elsewhere.example") == (403, "")
    status, cleared = send("DELETE")
    assert status == 204 and cleared.startswith(f"{COOKIE_NAME}=") and "Max-Age=0" in cleared
