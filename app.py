"""Vigie entry point: page config, language, login, shared filters, navigation. Routing only."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from vigie.config import load_settings
from vigie.ui import data, session_cookie
from vigie.ui.auth_ui import current_user, login_form, logout
from vigie.ui.context import PageContext, set_context
from vigie.ui.filters import sidebar_filters
from vigie.ui.i18n import LANGS, t

# A local icon: a Material icon name would make the browser fetch it from a font CDN.
st.set_page_config(page_title="Vigie", page_icon=str(Path(__file__).parent / "static" / "favicon.png"), layout="wide")

with st.sidebar:
    st.selectbox("Langue / Language", list(LANGS), format_func=LANGS.get, key="lang")


def role_pages(role: str | None) -> list:
    """The pages a role may open. Logged out, every page is registered but hidden, so that a shared
    link (/carte?cat=violence) still opens its page once the user has logged in."""
    claims = st.Page("pages/claims.py", title=t("page_claims"), icon=":material/campaign:", url_path="desinformation")
    if role == "factchecker":  # verdicts on claims and links to reports only: no incident page
        # Its home page; a shared /desinformation link opens the same page (a default page's path is "/").
        return [st.Page("pages/claims.py", title=t("page_claims"), icon=":material/campaign:", default=True),
                st.Page("pages/claims.py", title=t("page_claims"), url_path="desinformation", visibility="hidden")]
    if role == "party":  # its own rallies and the room's answer only (the coproduction): no incident page
        return [st.Page("pages/rallies.py", title=t("page_rallies"), icon=":material/groups:", default=True),
                st.Page("pages/rallies.py", title=t("page_rallies"), url_path="meetings", visibility="hidden")]
    rallies = st.Page("pages/rallies.py", title=t("page_rallies"), icon=":material/groups:", url_path="meetings")
    pages = [
        st.Page("pages/overview.py", title=t("page_overview"), icon=":material/dashboard:", url_path="vue-ensemble",
                default=True),
        st.Page("pages/map.py", title=t("page_map"), icon=":material/map:", url_path="carte"),
        st.Page("pages/timeline.py", title=t("page_timeline"), icon=":material/timeline:", url_path="chronologie"),
        st.Page("pages/incidents.py", title=t("page_incidents"), icon=":material/list_alt:", url_path="incidents"),
        rallies,
        claims,
    ]
    if role in (None, "admin", "operator"):
        pages += [
            st.Page("pages/triage.py", title=t("page_triage"), icon=":material/fact_check:", url_path="triage"),
            st.Page("pages/sources.py", title=t("page_sources"), icon=":material/input:", url_path="sources"),
        ]
    # Alertes: operators act on them, observers read them; journalists have no alerts views at all.
    if role in (None, "admin", "operator", "observer"):
        pages.append(st.Page("pages/alerts.py", title=t("page_alerts"), icon=":material/notifications_active:",
                             url_path="alertes"))
    # The daily situation report: every role, each getting what its views hold.
    pages.append(st.Page("pages/report.py", title=t("page_report"), icon=":material/picture_as_pdf:",
                         url_path="rapport"))
    if role in (None, "admin"):
        pages.append(st.Page("pages/admin.py", title=t("page_admin"), icon=":material/group:", url_path="comptes"))
    return pages


user = current_user()
navigation = st.navigation(role_pages(user.role if user else None), position="sidebar" if user else "hidden")
session_cookie.sync()  # the login cookie: set after a password login, cleared after logout
if user is None:
    login_form()
    st.stop()

settings = load_settings()
try:
    store = data.get_store()
except Exception as exc:  # noqa: BLE001 - say why instead of a traceback
    st.error(f"La base de données ne peut pas être ouverte : {exc}")
    st.stop()

sources = data.query(user.role, "filter_sources", party=user.party)["source"].tolist()
filters = sidebar_filters(store.pack, sources)
set_context(PageContext(user=user, pack=store.pack, filters=filters))

with st.sidebar:
    st.divider()
    st.caption(f"{user.name} — {t('role_' + user.role)}")
    st.button(t("logout"), on_click=logout, key="logout")

if settings.demo:
    st.warning(t("simulated"), icon=":material/science:")

navigation.run()
