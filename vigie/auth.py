"""Accounts, password hashing and login throttling. Roles are enforced in the data layer (vigie.store).

Accounts live in a TOML file (VIGIE_USERS), with scrypt hashes, never plain passwords:

    [users.operateur]
    name = "Opératrice de permanence"
    role = "operator"            # admin | operator | observer | journalist
    password_hash = "scrypt$16384$8$1$…"
    disabled = false

`python -m vigie hash-password` prints a hash to paste there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from vigie.store import ROLES

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60
LOCKOUT_SECONDS = 5 * 60


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str
    password_hash: str
    disabled: bool = False


class AuthError(Exception):
    """A login that does not succeed, with the message to show (never says which part was wrong)."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def load_users(path: Path) -> dict[str, User]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    users = {}
    for username, entry in data.get("users", {}).items():
        role = entry.get("role")
        if role not in ROLES:
            raise ValueError(f"{path.name} : rôle inconnu {role!r} pour {username}")
        users[username] = User(username, entry.get("name", username), role, entry["password_hash"],
                               bool(entry.get("disabled", False)))
    return users


# A fixed hash to compare against for unknown usernames, so timing does not reveal which exist.
_DUMMY_HASH = hash_password(secrets.token_hex(8))


class Throttle:
    """Counts failed logins per username; too many in the window locks the account for a while."""

    def __init__(self):
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def locked_for(self, username: str, now: float | None = None) -> float:
        now = now or time.time()
        with self._lock:
            recent = [t for t in self._failures.get(username, []) if now - t < FAILURE_WINDOW]
            self._failures[username] = recent
            if len(recent) >= MAX_FAILURES:
                return max(0.0, recent[-1] + LOCKOUT_SECONDS - now)
        return 0.0

    def fail(self, username: str) -> None:
        with self._lock:
            self._failures.setdefault(username, []).append(time.time())

    def reset(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)


THROTTLE = Throttle()


def authenticate(users: dict[str, User], username: str, password: str, throttle: Throttle = THROTTLE) -> User:
    username = (username or "").strip().lower()
    wait = throttle.locked_for(username)
    if wait:
        raise AuthError(f"Trop de tentatives : réessayez dans {int(wait // 60) + 1} min.")
    user = users.get(username)
    ok = verify_password(password or "", user.password_hash if user else _DUMMY_HASH)
    if not user or not ok or user.disabled:
        throttle.fail(username)
        raise AuthError("Identifiant ou mot de passe incorrect, ou compte désactivé.")
    throttle.reset(username)
    return user
