"""Login sessions: the signed token (signature, expiry, tampering) and what ends it before it expires
(logout, account disabled or removed, role or password changed), against a real DuckDB store."""

from __future__ import annotations

import base64
import json
import shutil
import stat
import time

import pytest

from tests.conftest import FIXTURES
from vigie import sessions
from vigie.auth import AccountStore, User, load_users
from vigie.config import state_secret

SECRET = b"a test secret, never a real one"
HOUR = 3600
ADMIN = User("admin", "Admin", "admin", "")


@pytest.fixture
def users():
    return load_users(FIXTURES / "users.toml")


def _payload(token: str) -> dict:
    body = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _forge(token: str, **changes) -> str:
    """The same signature over a changed body: what an attacker editing the cookie gets."""
    body = base64.urlsafe_b64encode(json.dumps({**_payload(token), **changes}).encode()).rstrip(b"=").decode()
    return f"{body}.{token.split('.')[1]}"


def test_token_round_trip_names_the_account_role_and_expiry(users):
    now = 1_700_000_000.0
    session, token = sessions.issue(SECRET, users["operateur"], 12 * HOUR, now=now)
    assert sessions.decode(SECRET, token, now=now + 60) == session
    assert (session.username, session.role, session.expires_at) == ("operateur", "operator", now + 12 * HOUR)
    other, _ = sessions.issue(SECRET, users["operateur"], 12 * HOUR, now=now)
    assert other.session_id != session.session_id  # each login is its own session, revocable alone


def test_token_signed_with_another_secret_or_tampered_is_refused(users):
    _session, token = sessions.issue(SECRET, users["observateur"], HOUR)
    assert sessions.decode(b"another secret", token) is None
    assert sessions.decode(SECRET, _forge(token, r="admin")) is None  # a role raised by hand
    assert sessions.decode(SECRET, _forge(token, u="admin")) is None  # another account
    assert sessions.decode(SECRET, _forge(token, exp=_payload(token)["exp"] + 365 * 24 * HOUR)) is None
    body, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert sessions.decode(SECRET, f"{body}.{flipped}") is None
    for garbage in ("", "x", "a.b.c", ".", token + "x", "é.é", "x" * 5000):
        assert sessions.decode(SECRET, garbage) is None


def test_token_expires(users):
    now = 1_700_000_000.0
    _session, token = sessions.issue(SECRET, users["observateur"], HOUR, now=now)
    assert sessions.decode(SECRET, token, now=now + HOUR - 1) is not None
    assert sessions.decode(SECRET, token, now=now + HOUR + 1) is None
    assert sessions.decode(SECRET, token, now=now - 10 * 60) is None  # issued in the future: refused


def test_lifetime_setting(monkeypatch):
    monkeypatch.delenv("VIGIE_SESSION_HOURS", raising=False)
    assert sessions.lifetime_seconds() == 12 * HOUR
    monkeypatch.setenv("VIGIE_SESSION_HOURS", "8,5")
    assert sessions.lifetime_seconds() == int(8.5 * HOUR)
    for bad in ("zéro", "0", "-3", "100000"):
        monkeypatch.setenv("VIGIE_SESSION_HOURS", bad)
        with pytest.raises(ValueError, match="VIGIE_SESSION_HOURS"):
            sessions.lifetime_seconds()


def test_secret_from_the_environment_else_generated_once_with_mode_600(tmp_path, monkeypatch):
    monkeypatch.delenv("VIGIE_SESSION_SECRET", raising=False)
    first = sessions.load_secret(tmp_path / "state")
    path = tmp_path / "state" / "session-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and sessions.load_secret(tmp_path / "state") == first
    assert [p.name for p in path.parent.iterdir()] == ["session-secret"]  # no temporary file left
    monkeypatch.setenv("VIGIE_SESSION_SECRET", "from-the-environment")
    assert sessions.load_secret(tmp_path / "state") == b"from-the-environment"
    assert state_secret(tmp_path / "other", "x", "VIGIE_SESSION_SECRET") == "from-the-environment"
    assert not (tmp_path / "other" / "x").exists()


def test_restore_checks_the_account_as_it_is_now(users, store):
    _session, token = sessions.issue(SECRET, users["observateur"], HOUR)
    assert sessions.restore(SECRET, token, users, lambda: store)[1].username == "observateur"
    disabled = {**users, "observateur": User("observateur", "O", "observer", "", disabled=True)}
    assert sessions.restore(SECRET, token, disabled, lambda: store) is None
    promoted = {**users, "observateur": User("observateur", "O", "operator", "")}  # the file edited by hand
    assert sessions.restore(SECRET, token, promoted, lambda: store) is None
    removed = {k: v for k, v in users.items() if k != "observateur"}
    assert sessions.restore(SECRET, token, removed, lambda: store) is None


def test_a_forged_or_stale_cookie_never_opens_the_database(users):
    def no_store():
        raise AssertionError("the store was opened for a token that is not ours")

    _session, token = sessions.issue(SECRET, users["observateur"], HOUR, now=time.time() - 2 * HOUR)
    assert sessions.restore(SECRET, token, users, no_store) is None
    assert sessions.restore(SECRET, "forged.token", users, no_store) is None


def test_logout_revokes_that_session_only(users, store):
    first, token1 = sessions.issue(SECRET, users["operateur"], HOUR)
    _second, token2 = sessions.issue(SECRET, users["operateur"], HOUR)  # the same account at another desk
    sessions.revoke(store, first)
    assert sessions.restore(SECRET, token1, users, lambda: store) is None
    assert sessions.restore(SECRET, token2, users, lambda: store) is not None
    rows = store.raw_cursor().execute("select username, session_id, reason from session_revocations").fetchall()
    assert rows == [("operateur", first.session_id, "logout")]


def test_the_app_s_cached_revocations_see_a_logout_at_once(users, store, monkeypatch):
    """The app checks cookies against one copy of the revocations per store version (vigie.ui.data):
    a logout is a write that changes the version, so the very next check refuses the session."""
    from vigie.ui import data

    monkeypatch.setattr(data, "get_store", lambda: store)
    first, token = sessions.issue(SECRET, users["operateur"], HOUR)
    other, _token = sessions.issue(SECRET, users["journaliste"], HOUR)
    assert sessions.restore(SECRET, token, users, lambda: store, revoked=data.revoked) is not None
    sessions.revoke(store, first)
    assert sessions.restore(SECRET, token, users, lambda: store, revoked=data.revoked) is None
    assert not data.revoked(other)
    sessions.revoke_account(store, "journaliste", "disabled")
    assert data.revoked(other)
    later, _token = sessions.issue(SECRET, users["journaliste"], HOUR, now=time.time() + 5)
    assert not data.revoked(later)  # issued after the account's revocation


def test_account_changes_made_by_an_admin_end_its_earlier_sessions(tmp_path, store):
    """Disable, role, password, removal through AccountStore (the Administration page) revoke every
    session issued before; a login after the change works; an edit that changes nothing revokes nothing."""
    path = tmp_path / "users.toml"
    shutil.copy(FIXTURES / "users.toml", path)
    calls = []

    def on_change(username, reason):
        calls.append((username, reason))
        sessions.revoke_account(store, username, reason)

    accounts = AccountStore(path, on_change=on_change)

    def token_for(username):
        return sessions.issue(SECRET, accounts.users()[username], HOUR)[1]

    def opens(token):
        return sessions.restore(SECRET, token, accounts.users(), lambda: store) is not None

    before = token_for("observateur")
    accounts.update(ADMIN, "observateur", role="observer", disabled=False)  # nothing changes
    assert calls == [] and opens(before)

    accounts.update(ADMIN, "observateur", disabled=True)
    accounts.update(ADMIN, "observateur", disabled=False)  # enabled again: the old cookie stays dead
    assert calls == [("observateur", "disabled")] and not opens(before)
    after = token_for("observateur")
    assert opens(after)

    accounts.update(ADMIN, "observateur", role="journalist")
    accounts.update(ADMIN, "observateur", role="observer")  # and back: still dead
    assert not opens(after)
    again = token_for("observateur")
    accounts.update(ADMIN, "observateur", password="un nouveau mot de passe")
    assert not opens(again)

    operator = token_for("operateur")
    accounts.remove(ADMIN, "operateur")
    accounts.create(ADMIN, "operateur", "Quelqu'un d'autre", "operator", "un mot de passe long")
    assert not opens(operator)  # a new account of the same name does not inherit the old cookies
    assert calls[1:] == [("observateur", "role"), ("observateur", "role"), ("observateur", "password"),
                         ("operateur", "removed")]


def test_tickets_are_one_time_and_short_lived():
    tickets = sessions.Tickets()
    now = 1_700_000_000.0
    ticket = tickets.put("the-token", now + HOUR, now=now)
    assert tickets.pending(ticket, now=now + 1)
    assert tickets.take(ticket, now=now + 1) == ("the-token", HOUR - 1)
    assert tickets.take(ticket, now=now + 2) is None  # exchanged once only
    late = tickets.put("other", now + HOUR, now=now)
    assert not tickets.pending(late, now=now + sessions.TICKET_SECONDS + 1)
    assert tickets.take(late, now=now + sessions.TICKET_SECONDS + 1) is None
    assert tickets.take("guessed", now=now) is None
