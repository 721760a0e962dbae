"""Comptes (admins): create accounts, change roles, disable, reset passwords, remove demo accounts."""

import pandas as pd
import streamlit as st

from vigie.auth import ROLES, AuthError
from vigie.ui.auth_ui import accounts
from vigie.ui.context import get_context
from vigie.ui.i18n import t

ctx = get_context()
if ctx.role != "admin":
    st.error(t("operators_only"))
    st.stop()

st.title(t("page_admin"))
store = accounts()
users = store.users()
st.dataframe(
    pd.DataFrame([{t("account"): u.username, t("full_name"): u.name, t("role"): t("role_" + u.role),
                   t("party_of_account"): u.party or "", t("disabled"): u.disabled} for u in users.values()]),
    hide_index=True, width="stretch", key="accounts_table",
)


def _do(action, *args, **kwargs) -> None:
    try:
        action(ctx.user, *args, **kwargs)
        st.success(t("saved"))
    except (AuthError, PermissionError) as exc:
        st.error(str(exc))


with st.form("create_account", clear_on_submit=True):
    st.subheader(t("create_account"))
    c1, c2, c3 = st.columns(3)
    username = c1.text_input(t("username"))
    name = c2.text_input(t("full_name"))
    role = c3.selectbox(t("role"), ROLES, format_func=lambda r: t("role_" + r), index=2)
    party = st.text_input(t("party_of_account_help"), max_chars=120)
    password = st.text_input(t("password"), type="password")
    if st.form_submit_button(t("create")):
        _do(store.create, username, name, role, password, party=party or None)

st.subheader(t("edit_account"))
target = st.selectbox(t("account"), sorted(users), key="admin_target")
if target:
    u = users[target]
    c1, c2 = st.columns(2)
    new_role = c1.selectbox(t("role"), ROLES, index=ROLES.index(u.role), format_func=lambda r: t("role_" + r),
                            key=f"role_{target}")
    disabled = c2.toggle(t("disabled"), value=u.disabled, key=f"disabled_{target}")
    new_party = st.text_input(t("party_of_account_help"), value=u.party or "", max_chars=120, key=f"party_{target}")
    new_password = st.text_input(t("new_password"), type="password", key=f"pw_{target}")
    c1, c2 = st.columns(2)
    if c1.button(t("save"), key=f"save_{target}"):
        _do(store.update, target, role=new_role, disabled=disabled, password=new_password or None,
            party=new_party if new_role == "party" else None)
    if c2.button(t("remove"), key=f"remove_{target}"):
        _do(store.remove, target)
