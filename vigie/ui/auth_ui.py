"""Login form and the current user. Every page is behind it: app.py stops before routing otherwise.

A password login also gets a signed, expiring cookie, so a reload does not ask for the password again
(vigie/ui/session_cookie.py says how, vigie/sessions.py what makes it valid)."""

from __future__ import annotations

import streamlit as st

from vigie.auth import AccountStore, AuthError, User, authenticate, load_oidc_roles, role_for_email
from vigie.config import load_settings
from vigie.ui import session_cookie
from vigie.ui.i18n import t


OIDC_MARK = "oidc"  # password_hash of a session opened through the identity provider


def accounts() -> AccountStore:
    return AccountStore(load_settings().users_file, on_change=session_cookie.revoke_account)


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def current_user() -> User | None:
    """The logged-in user, checked again against the accounts file on every run: a disabled or
    removed account, or a changed role, takes effect at once in open sessions."""
    user = st.session_state.get("user")
    if user is None:
        user = session_cookie.restore(lambda: accounts().users())
        if user is None:
            return _oidc_user()
        st.session_state["user"] = user
        return user
    if user.password_hash == OIDC_MARK:
        role = role_for_email(load_oidc_roles(accounts().writable_path), user.username)
        fresh = User(user.username, user.name, role, OIDC_MARK) if role else None
    else:
        try:
            fresh = accounts().users().get(user.username)
        except (OSError, ValueError):
            fresh = None
        if fresh is not None and fresh.disabled:
            fresh = None
    if fresh is None:
        st.session_state.pop("user", None)
        session_cookie.forget()
        return None
    if (fresh.role, fresh.party) != (user.role, user.party):
        st.session_state["user"] = fresh
        st.session_state.pop("_ctx", None)
    return fresh


def _oidc_user() -> User | None:
    """A user logged in through st.login, with the role the accounts file gives to their e-mail."""
    if not _oidc_configured() or not getattr(st.user, "is_logged_in", False):
        return None
    email = st.user.get("email")
    role = role_for_email(load_oidc_roles(accounts().writable_path), email)
    if role is None:
        st.error(t("oidc_no_role"))
        st.button(t("logout"), on_click=st.logout)
        st.stop()
    user = User(str(email).lower(), st.user.get("name") or email, role, OIDC_MARK)
    st.session_state["user"] = user
    return user


def login_form() -> None:
    settings = load_settings()
    st.title(t("app_title"))
    st.info(t("login_required"))
    with st.form("login", clear_on_submit=False):
        username = st.text_input(t("username"), key="login_username")
        password = st.text_input(t("password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("login_button"), type="primary")
    if submitted:
        try:
            user = authenticate(accounts().users(), username, password)
        except AuthError as exc:
            st.error(str(exc))
            return
        except (OSError, ValueError) as exc:
            st.error(f"Fichier des comptes illisible : {exc}")
            return
        st.session_state["user"] = user
        session_cookie.remember(user)
        st.rerun()
    if _oidc_configured():
        st.button(t("oidc_login"), on_click=st.login, key="oidc_login")
    if settings.users_file.name.endswith(".demo.toml") and not accounts().writable_path.exists():
        st.caption(t("demo_accounts"))


def logout() -> None:
    """Forget the user and everything of the session (used as a button callback, which reruns)."""
    oidc = getattr(st.session_state.get("user"), "password_hash", None) == OIDC_MARK
    session_cookie.forget()
    for key in list(st.session_state):
        if key not in ("lang", "_cookie_refused", "_cookie_clear"):
            del st.session_state[key]
    if oidc:
        st.logout()
