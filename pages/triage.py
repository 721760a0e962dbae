"""Triage (operators): the queue of new incidents, batch actions, and the "à localiser" queue."""

import streamlit as st

from vigie.ui import data
from vigie.ui.context import get_context, load
from vigie.ui.i18n import t
from vigie.ui.incident_view import render_detail
from vigie.ui.tables import batch_actions, incidents_table

ctx = get_context()
if ctx.role not in ("admin", "operator"):
    st.error(t("operators_only"))
    st.stop()

st.title(t("page_triage"))
st.caption(t("triage_queue"))
queue = load(ctx, "triage_queue", limit=500)
rows = incidents_table(queue, key="triage_table", selectable=True, multi=True)
if rows:
    chosen = queue.iloc[rows]
    batch_actions(ctx.user, dict(zip(chosen["incident_id"].astype(int), chosen["version"].astype(int))))
    if len(rows) == 1:
        st.divider()
        render_detail(ctx, int(chosen.iloc[0]["incident_id"]))

st.divider()
st.subheader(t("to_locate"))
unlocated = data.query(ctx.role, "unlocated_incidents", {"limit": 200})
incidents_table(unlocated.assign(commune=None, n_reports=None, n_sources=None), key="unlocated_table", height=260)
