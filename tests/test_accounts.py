"""Admins manage accounts; changes are hashed, atomic, and never lock everyone out."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import FIXTURES
from vigie.auth import AccountStore, AuthError, User, authenticate, load_oidc_roles, role_for_email, Throttle

ADMIN = User("admin", "Admin", "admin", "")


@pytest.fixture
def accounts(tmp_path):
    demo = tmp_path / "users.demo.toml"
    shutil.copy(FIXTURES / "users.toml", demo)
    return AccountStore(demo)


def test_create_change_role_disable_reset(accounts):
    accounts.create(ADMIN, "Analyste1", "Analyste", "operator", "un mot de passe long")
    assert accounts.writable_path.exists() and accounts.path.read_text() != accounts.writable_path.read_text()
    users = accounts.users()
    assert users["analyste1"].role == "operator" and "un mot de passe long" not in accounts.writable_path.read_text()
    assert authenticate(users, "analyste1", "un mot de passe long", Throttle()).role == "operator"
    accounts.update(ADMIN, "analyste1", role="observer")
    accounts.update(ADMIN, "analyste1", password="nouveau mot de passe")
    accounts.update(ADMIN, "analyste1", disabled=True)
    with pytest.raises(AuthError):
        authenticate(accounts.users(), "analyste1", "nouveau mot de passe", Throttle())
    accounts.remove(ADMIN, "journaliste")  # the demo accounts can be removed
    assert "journaliste" not in accounts.users()


def test_only_admins_change_accounts(accounts):
    for role in ("operator", "observer", "journalist"):
        with pytest.raises(PermissionError):
            accounts.create(User("x", "X", role, ""), "pirate", "P", "admin", "un mot de passe long")


def test_refusals(accounts):
    with pytest.raises(AuthError):
        accounts.create(ADMIN, "a b", "x", "operator", "un mot de passe long")
    with pytest.raises(AuthError):
        accounts.create(ADMIN, "court", "x", "operator", "court")
    with pytest.raises(AuthError):
        accounts.create(ADMIN, "hacker", "x", "root", "un mot de passe long")
    with pytest.raises(AuthError, match="administrateur"):
        accounts.update(ADMIN, "admin", disabled=True)  # the last admin
    with pytest.raises(AuthError):
        accounts.create(ADMIN, "x\"]\n[users.evil", "x", "admin", "un mot de passe long")


def test_names_with_quotes_survive_the_file(accounts):
    accounts.create(ADMIN, "obs2", 'Aïcha "CENA" \\ Cotonou', "observer", "un mot de passe long")
    assert accounts.users()["obs2"].name == 'Aïcha "CENA" \\ Cotonou'


def test_oidc_roles_map_exact_address_before_domain(tmp_path):
    path = tmp_path / "users.toml"
    path.write_text('[oidc_roles]\n"*@interieur.gouv.bj" = "operator"\n"chef@interieur.gouv.bj" = "admin"\n'
                    '"*@presse.bj" = "journalist"\n"x@y.bj" = "root"\n')
    roles = load_oidc_roles(path)
    assert role_for_email(roles, "Chef@Interieur.gouv.bj") == "admin"
    assert role_for_email(roles, "agent@interieur.gouv.bj") == "operator"
    assert role_for_email(roles, "someone@gmail.com") is None
    assert role_for_email(roles, "x@y.bj") is None  # unknown role ignored
    assert role_for_email(roles, None) is None
