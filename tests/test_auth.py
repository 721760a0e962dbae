"""Accounts: hashing, refusals, lockout after repeated failures."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from vigie.auth import MAX_FAILURES, AuthError, Throttle, authenticate, hash_password, load_users, verify_password


def test_hash_is_salted_and_verifies():
    a, b = hash_password("secret"), hash_password("secret")
    assert a != b and "secret" not in a
    assert verify_password("secret", a) and not verify_password("Secret", a)
    assert not verify_password("secret", "not-a-hash")


def test_demo_and_test_accounts_have_every_role():
    for path in (FIXTURES / "users.toml", FIXTURES.parent.parent / "config" / "users.demo.toml"):
        users = load_users(path)
        assert {"admin", "operator", "observer", "journalist"} <= {u.role for u in users.values()}
        assert all(u.password_hash.startswith("scrypt$") for u in users.values())


def test_authenticate_refuses_wrong_password_unknown_and_disabled_users():
    users = load_users(FIXTURES / "users.toml")
    throttle = Throttle()
    assert authenticate(users, "Operateur ", "test-operateur", throttle).role == "operator"
    for name, password in (("operateur", "wrong"), ("nobody", "x"), ("ancien", "test-ancien")):
        with pytest.raises(AuthError):
            authenticate(users, name, password, throttle)


def test_repeated_failures_lock_the_account_even_with_the_right_password():
    users = load_users(FIXTURES / "users.toml")
    throttle = Throttle()
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthError):
            authenticate(users, "admin", "guess", throttle)
    with pytest.raises(AuthError, match="Trop de tentatives"):
        authenticate(users, "admin", "test-admin", throttle)
    # Another account is not affected.
    assert authenticate(users, "observateur", "test-observateur", throttle).role == "observer"
