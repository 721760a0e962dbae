"""Carte: commune choropleth (count, rate per 100,000, severity-weighted), located incidents, commune profile."""

import dataclasses

import streamlit as st

from vigie.ui.context import REFRESH_SECONDS, get_context, load
from vigie.ui.i18n import fmt_int, t
from vigie.ui.maps import render_commune_map
from vigie.ui.tables import incidents_table

ctx = get_context()
st.title(t("page_map"))

measures = {"n_incidents": t("measure_count"), "rate_100k": t("measure_rate"), "weighted": t("measure_weighted")}
if not ctx.pack.has_population:
    measures.pop("rate_100k")
    st.caption(t("rate_unavailable"))
c1, c2 = st.columns([3, 1])
measure = c1.radio(t("map_measure"), list(measures), format_func=measures.get, horizontal=True, key="map_measure")
show_points = ctx.sees_exact_locations and c2.toggle(t("show_points"), key="map_points")


@st.fragment(run_every=REFRESH_SECONDS)
def live() -> None:
    selected = render_commune_map(ctx, measure, show_points, key="commune_map")
    if selected:
        st.session_state["map_commune"] = selected
    code = st.session_state.get("map_commune")
    communes = ctx.pack.communes.set_index("commune_code")
    if not code or code not in communes.index:
        st.caption(t("select_commune_hint"))
        return
    row = communes.loc[code]
    st.subheader(f"{t('commune_profile')} : {row['commune']} ({row['departement']})")
    scoped = dataclasses.replace(ctx, filters=dataclasses.replace(ctx.filters, communes=(code,)))
    latest = load(scoped, "latest_incidents", limit=100)
    if row["population"] == row["population"]:
        st.caption(f"{t('population')} : {fmt_int(row['population'])}")
    incidents_table(latest, key="profile_latest", height=320)


live()
