"""Accounts, password hashing and login throttling. Roles are enforced in the data layer (vigie.store).

Accounts live in a TOML file (VIGIE_USERS), with scrypt hashes, never plain passwords:

    [users.operateur]
    name = "Opératrice de permanence"
    role = "operator"            # admin | operator | observer | journalist | factchecker | party
    password_hash = "scrypt$16384$8$1$…"
    disabled = false
    # party = "Union progressiste le Renouveau"   # a party liaison's account: the one party it speaks for

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
    party: str | None = None  # role `party` only: the party whose rallies the account submits and sees


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
        party = str(entry.get("party") or "").strip() or None
        if role == "party" and party is None:
            raise ValueError(f"{path.name} : le compte de parti {username} ne nomme pas son parti (party = …)")
        users[username] = User(username, entry.get("name", username), role, entry["password_hash"],
                               bool(entry.get("disabled", False)), party if role == "party" else None)
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


# -- account management (admins) ----------------------------------------------------------------
_USERNAME = __import__("re").compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 10


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(ch if ch >= " " else f"\\u{ord(ch):04x}" for ch in escaped)
    return f'"{escaped}"'


def dump_users(users: dict[str, User], oidc_roles: dict[str, str] | None = None) -> str:
    lines = ["# Vigie accounts (scrypt hashes). Managed from the Administration page; see README.", ""]
    for user in sorted(users.values(), key=lambda u: u.username):
        lines += [f"[users.{_toml_string(user.username)}]", f"name = {_toml_string(user.name)}",
                  f"role = {_toml_string(user.role)}", f"password_hash = {_toml_string(user.password_hash)}",
                  f"disabled = {'true' if user.disabled else 'false'}"]
        lines += [f"party = {_toml_string(user.party)}"] if user.party else []
        lines.append("")
    if oidc_roles:
        lines.append("[oidc_roles]")
        lines += [f"{_toml_string(k)} = {_toml_string(v)}" for k, v in sorted(oidc_roles.items())]
        lines.append("")
    return "\n".join(lines)


def load_oidc_roles(path: Path) -> dict[str, str]:
    """E-mail (or `*@domain`) → role, for accounts that log in through the OIDC provider."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    roles = {str(k).lower(): v for k, v in data.get("oidc_roles", {}).items()}
    return {k: v for k, v in roles.items() if v in ROLES}


def role_for_email(mapping: dict[str, str], email: str | None) -> str | None:
    """The exact address wins over its domain; unknown addresses get no role (no access)."""
    if not email or "@" not in email:
        return None
    email = email.strip().lower()
    return mapping.get(email) or mapping.get("*@" + email.split("@", 1)[1])


class AccountStore:
    """Reads and writes the accounts file; every change is checked to come from an admin.

    `on_change(username, reason)` is called after a saved change that must end the account's open
    login cookies: disabled, removed, role or password changed (see vigie.sessions)."""

    def __init__(self, path: Path, writable_path: Path | None = None, on_change=None):
        self.path = path
        self.on_change = on_change
        # The demo file stays untouched: the first change writes config/users.toml beside it.
        self.writable_path = writable_path or (
            path.with_name("users.toml") if path.name.endswith(".demo.toml") else path)
        self._lock = threading.Lock()

    def users(self) -> dict[str, User]:
        source = self.writable_path if self.writable_path.exists() else self.path
        return load_users(source)

    def _save(self, users: dict[str, User]) -> None:
        source = self.writable_path if self.writable_path.exists() else self.path
        text = dump_users(users, load_oidc_roles(source))
        tmp = self.writable_path.with_name(f".{self.writable_path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(self.writable_path)  # atomic: a reader never sees half a file

    def _change(self, admin: User, fn) -> None:
        if admin.role != "admin":
            raise PermissionError("Gestion des comptes réservée aux administrateurs.")
        with self._lock:
            users = dict(self.users())
            fn(users)
            if not any(u.role == "admin" and not u.disabled for u in users.values()):
                raise AuthError("Il doit rester au moins un administrateur actif.")
            self._save(users)

    def create(self, admin: User, username: str, name: str, role: str, password: str,
               party: str | None = None) -> None:
        username = username.strip().lower()
        if not _USERNAME.match(username):
            raise AuthError("Identifiant invalide (2 à 40 caractères : lettres minuscules, chiffres, . _ -).")
        if role not in ROLES:
            raise AuthError(f"Rôle inconnu : {role}")
        party = _party_of(role, party)
        _check_password(password)

        def fn(users):
            if username in users:
                raise AuthError(f"Le compte {username} existe déjà.")
            users[username] = User(username, name.strip() or username, role, hash_password(password), False, party)

        self._change(admin, fn)

    def update(self, admin: User, username: str, *, role: str | None = None, disabled: bool | None = None,
               password: str | None = None, party: str | None = None) -> None:
        if role is not None and role not in ROLES:
            raise AuthError(f"Rôle inconnu : {role}")
        if password is not None:
            _check_password(password)

        reasons: list[str] = []

        def fn(users):
            if username not in users:
                raise AuthError(f"Compte inconnu : {username}")
            u = users[username]
            new_role = role or u.role
            new_party = _party_of(new_role, party if party is not None else u.party)
            users[username] = User(u.username, u.name, new_role,
                                   hash_password(password) if password is not None else u.password_hash,
                                   u.disabled if disabled is None else disabled, new_party)
            # Another party is another role: the account's open sessions end as for a change of role.
            reasons[:] = [reason for reason, changed in (
                ("disabled", disabled and not u.disabled),
                ("role", new_role != u.role or new_party != u.party),
                ("password", password is not None)) if changed]

        self._change(admin, fn)
        for reason in reasons:
            self._changed(username, reason)

    def remove(self, admin: User, username: str) -> None:
        def fn(users):
            if username not in users:
                raise AuthError(f"Compte inconnu : {username}")
            del users[username]

        self._change(admin, fn)
        self._changed(username, "removed")

    def _changed(self, username: str, reason: str) -> None:
        if self.on_change is not None:
            self.on_change(username, reason)


def _party_of(role: str, party: str | None) -> str | None:
    """The party an account of `role` is tied to: required for party liaisons, none for other roles."""
    party = " ".join((party or "").split())[:120] or None
    if role == "party" and party is None:
        raise AuthError("Un compte de parti nomme le parti dont il soumet les meetings.")
    return party if role == "party" else None


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AuthError(f"Mot de passe trop court : {MIN_PASSWORD} caractères au moins.")
