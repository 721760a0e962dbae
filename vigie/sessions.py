"""Login sessions that survive a reload: a signed, expiring token, revocable before it expires.

The token is `body.signature`: body is the URL-safe base64 of a JSON object {u: username, r: role,
sid: random session id, iat: issued at, exp: expires at} (seconds since 1970, UTC), signature the
HMAC-SHA256 of the body under the server's secret. It holds no secret itself and proves only what
the server signed; a session is restored from it only when, in addition,

- the account still exists, is not disabled and still has the role the token names (so a hand edit
  of the accounts file takes effect too),
- it was not revoked: logout revokes its session id; disabling, removing an account or changing its
  role or password (Administration page) revokes every session of the account issued until then.

Revocations are appended to `session_revocations` (migration 014) through the store's write lock.
The secret comes from VIGIE_SESSION_SECRET, else from `session-secret` in the state folder (created
once, mode 600). Lifetime: VIGIE_SESSION_HOURS (default 12 h, one shift). How the token reaches the
browser as an HttpOnly cookie is vigie/ui/session_cookie.py's business, not this module's.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from vigie.auth import User
from vigie.config import state_secret
from vigie.store import Store

COOKIE_NAME = "vigie_session"
DEFAULT_HOURS = 12.0
TICKET_SECONDS = 60  # a login's ticket must be exchanged for the cookie within this
_SIGNING_CONTEXT = b"vigie-session-1."  # a token signed for anything else never verifies here


@dataclass(frozen=True)
class Session:
    username: str
    role: str
    session_id: str
    issued_at: float
    expires_at: float


def lifetime_seconds() -> int:
    """VIGIE_SESSION_HOURS as seconds; a value that is not a positive number is a clear error."""
    raw = os.environ.get("VIGIE_SESSION_HOURS", "").strip()
    if not raw:
        return int(DEFAULT_HOURS * 3600)
    try:
        hours = float(raw.replace(",", "."))
    except ValueError:
        hours = 0.0
    if not 0 < hours <= 24 * 90:
        raise ValueError(f"VIGIE_SESSION_HOURS : {raw!r} n'est pas une durée en heures (entre 0 et 2160).")
    return max(60, int(hours * 3600))


def load_secret(home: Path) -> bytes:
    return state_secret(home, "session-secret", "VIGIE_SESSION_SECRET").encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, _SIGNING_CONTEXT + body.encode(), hashlib.sha256).digest())


def issue(secret: bytes, user: User, lifetime: int, now: float | None = None) -> tuple[Session, str]:
    """A new session for `user` and its signed token."""
    now = time.time() if now is None else now
    session = Session(user.username, user.role, secrets.token_urlsafe(16), now, now + lifetime)
    return session, encode(secret, session)


def encode(secret: bytes, session: Session) -> str:
    payload = {"u": session.username, "r": session.role, "sid": session.session_id,
               "iat": session.issued_at, "exp": session.expires_at}
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{body}.{_sign(secret, body)}"


def decode(secret: bytes, token: str | None, now: float | None = None) -> Session | None:
    """The session a token names, if its signature is ours and it has not expired; None otherwise."""
    if not token or token.count(".") != 1 or len(token) > 4096:
        return None
    body, signature = token.split(".")
    if not hmac.compare_digest(_sign(secret, body).encode(), signature.encode()):
        return None
    try:
        payload = json.loads(_unb64(body))
        session = Session(str(payload["u"]), str(payload["r"]), str(payload["sid"]),
                          float(payload["iat"]), float(payload["exp"]))
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    now = time.time() if now is None else now
    if not session.issued_at <= now + 60 < session.expires_at + 60:  # a minute of clock skew, no more
        return None
    return session


# -- revocation (append-only) -------------------------------------------------------------------
def _utc(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)


def _append(store: Store, username: str, session_id: str | None, reason: str) -> None:
    with store.write_lock:
        store.raw_cursor().execute(
            "insert into session_revocations (revoked_at, username, session_id, reason)"
            " values ($at, $username, $sid, $reason)",
            {"at": _utc(time.time()), "username": username, "sid": session_id, "reason": reason},
        )
    store.bump(refreshed=True)  # an app process's cached Revocations (per version) must see it at once


def revoke(store: Store, session: Session) -> None:
    """Logout: this session's token no longer opens anything, even if the browser kept it."""
    _append(store, session.username, session.session_id, "logout")


def revoke_account(store: Store, username: str, reason: str) -> None:
    """Every session of the account issued until now ends (disabled, removed, role or password changed)."""
    _append(store, username, None, reason)


@dataclass(frozen=True)
class Revocations:
    """Every revocation in the database at one moment: the sessions ended one by one (logouts) and, per
    account, the latest time all its sessions issued until then were ended. Small (logouts and account
    changes), read in one query, so that an app process checks its sessions against one copy per store
    version instead of one query per session."""

    ended: frozenset[tuple[str, str]]
    accounts: dict[str, dt.datetime]

    def cover(self, session: Session) -> bool:
        if (session.username, session.session_id) in self.ended:
            return True
        until = self.accounts.get(session.username)
        return until is not None and until >= _utc(session.issued_at)


def revocations(store: Store) -> Revocations:
    rows = store.raw_cursor().execute(
        "select username, session_id, max(revoked_at) from session_revocations group by all").fetchall()
    return Revocations(frozenset((u, sid) for u, sid, _at in rows if sid is not None),
                       {u: at for u, sid, at in rows if sid is None})


def is_revoked(store: Store, session: Session) -> bool:
    return revocations(store).cover(session)


def restore(secret: bytes, token: str | None, users: dict[str, User], store_fn,
            now: float | None = None, revoked=None) -> tuple[Session, User] | None:
    """The session and account a cookie opens, or None. `store_fn` opens the store only for a token
    whose signature and expiry are good, so a stale or forged cookie costs no database access.
    `revoked(session)`, when given, answers instead of a query (an app process's cached Revocations)."""
    session = decode(secret, token, now)
    if session is None:
        return None
    user = users.get(session.username)
    if user is None or user.disabled or user.role != session.role:
        return None
    if revoked(session) if revoked is not None else is_revoked(store_fn(), session):
        return None
    return session, user


class Tickets:
    """One-time, short-lived tickets that stand for a token on its way to the browser's cookie jar:
    the page hands a ticket to the browser, which exchanges it once for the cookie."""

    def __init__(self):
        self._tickets: dict[str, tuple[str, float, float]] = {}
        self._lock = threading.Lock()

    def put(self, token: str, cookie_expires: float, now: float | None = None) -> str:
        now = time.time() if now is None else now
        ticket = secrets.token_urlsafe(24)
        with self._lock:
            self._tickets = {k: v for k, v in self._tickets.items() if v[2] > now}
            self._tickets[ticket] = (token, cookie_expires, now + TICKET_SECONDS)
        return ticket

    def pending(self, ticket: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        with self._lock:
            entry = self._tickets.get(ticket)
        return entry is not None and entry[2] > now

    def take(self, ticket: str, now: float | None = None) -> tuple[str, int] | None:
        """(token, cookie max-age in seconds) the first time a live ticket is shown; None afterwards."""
        now = time.time() if now is None else now
        with self._lock:
            entry = self._tickets.pop(ticket, None)
        if entry is None or entry[2] <= now:
            return None
        token, cookie_expires, _ = entry
        return token, max(0, int(cookie_expires - now))


TICKETS = Tickets()
