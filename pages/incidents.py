"""Incidents: searchable, filterable table with a detail view and role-scoped exports."""

import streamlit as st

from vigie.exports import to_csv, to_geojson, to_hxl
from vigie.ui.context import get_context, load
from vigie.ui.i18n import fmt_int, t
from vigie.ui.incident_view import render_detail
from vigie.ui.tables import incidents_table

EXPORT_LIMIT = 50_000
PAGE_SIZE = 200
COUNT_CAP = 10_000  # incident_search counts up to COUNT_CAP + 1 matches

ctx = get_context()
st.title(t("page_incidents"))
if ctx.role == "journalist":
    st.caption(t("journalist_scope"))
q = st.text_input(t("search"), key="incident_q", max_chars=200)
found = load(ctx, "incident_search", q=q, limit=PAGE_SIZE, offset=0)
n_total = int(found["n_total"].iloc[0]) if len(found) else 0
shown = f"{t('more_than')} {fmt_int(COUNT_CAP)}" if n_total > COUNT_CAP else fmt_int(n_total)
st.caption(f"{shown} {t('results')} · {t('select_incident_hint')}")
selected = incidents_table(found, key="incidents_table", selectable=True)



def export_rows():
    """The current filtered view as the role sees it, built only when a download is asked for."""
    return load(ctx, "incident_search", q=q, limit=EXPORT_LIMIT, offset=0).drop(columns=["n_total"])


c1, c2, c3, _ = st.columns([1, 1, 1, 2])
c1.download_button(t("export_csv"), lambda: to_csv(export_rows()), "vigie-incidents.csv", "text/csv",
                   key="export_csv")
c2.download_button(t("export_geojson"), lambda: to_geojson(export_rows()), "vigie-incidents.geojson",
                   "application/geo+json", key="export_geojson")
c3.download_button(t("export_hxl"), lambda: to_hxl(export_rows()), "vigie-incidents-hxl.csv", "text/csv",
                   key="export_hxl")  # feeds-formats

if selected is not None:
    st.divider()
    render_detail(ctx, int(found.iloc[selected]["incident_id"]))
