"""The load test's viewer (bench/load.py) against a real `streamlit run serve.py`: it speaks Streamlit's own
protocol, so what it reports about a page must be what a browser would get. And the first visitor of a
fresh server who opens a shared link gets that page, with no "Page not found" (serve.py)."""

from __future__ import annotations

import pytest

from bench import load
from tests.conftest import make_settings
from tests.e2e.conftest import _running_server
from tests.fixture_data import build_fixture_state
from vigie import sessions

pytestmark = pytest.mark.e2e  # a real server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(port, the secret the server signs its cookies with: its state folder's, made here first)."""
    base = tmp_path_factory.mktemp("viewer")
    build_fixture_state(make_settings(base / "state"))
    secret = sessions.load_secret(base / "state").decode()
    with _running_server(base / "state", base / "server.log") as (base_url, _process):
        yield int(base_url.rsplit(":", 1)[1]), secret


def test_the_first_visit_of_a_shared_link_opens_its_page(server):
    """The very first session of the process asks for /carte: the map page runs, no page_not_found."""
    port, secret = server
    outcome = load.run_viewers([port], load.journalist_cookie(secret), 1, 1, ramp=0, think=(0, 0),
                               first_page="carte")
    assert outcome.failed == [] and len(outcome.times) == 1
    assert outcome.elements[0] >= {"deck_gl_json_chart"}, outcome.elements


def test_viewers_get_every_page_with_their_cookie(server):
    port, secret = server
    outcome = load.run_viewers([port], load.journalist_cookie(secret), 3, len(load.PAGES), ramp=0.2,
                               think=(0, 0.1))
    assert outcome.failed == [], outcome.failed
    assert len(outcome.times) == 3 * len(load.PAGES)
    assert all(0 < t < 30 for t in outcome.times)


def test_a_cookie_the_server_did_not_sign_counts_as_a_failed_page(server):
    """Signed with another secret: the server shows the login form, which is no page of data."""
    port, _secret = server
    outcome = load.run_viewers([port], load.journalist_cookie("not-the-server-secret-at-all-000"), 1, 1,
                               ramp=0, think=(0, 0))
    assert outcome.times == [] and len(outcome.failed) == 1
    assert "login form" in outcome.failed[0]
