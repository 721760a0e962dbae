"""Login form and the current user. Every page is behind it: app.py stops before routing otherwise."""

from __future__ import annotations

import streamlit as st

from vigie.auth import AuthError, User, authenticate, load_users
from vigie.config import load_settings
from vigie.ui.i18n import t


def current_user() -> User | None:
    return st.session_state.get("user")


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
            user = authenticate(load_users(settings.users_file), username, password)
        except AuthError as exc:
            st.error(str(exc))
            return
        except (OSError, ValueError) as exc:
            st.error(f"Fichier des comptes illisible : {exc}")
            return
        st.session_state["user"] = user
        st.rerun()
    if settings.users_file.name.endswith(".demo.toml"):
        st.caption(t("demo_accounts"))


def logout() -> None:
    """Forget the user and everything of the session (used as a button callback, which reruns)."""
    for key in list(st.session_state):
        if key != "lang":
            del st.session_state[key]
