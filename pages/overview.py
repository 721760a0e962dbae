"""Vue d'ensemble: headline figures, the commune map and the latest incidents, refreshed live."""

import streamlit as st

from vigie.ui import data
from vigie.ui.context import REFRESH_SECONDS, get_context, load
from vigie.ui.i18n import fmt_datetime, fmt_duration_minutes, fmt_int, t
from vigie.ui.maps import render_commune_map
from vigie.ui.tables import incidents_table

ctx = get_context()
st.title(t("page_overview"))
if ctx.role == "journalist":
    st.caption(t("journalist_scope"))


@st.fragment(run_every=REFRESH_SECONDS)
def live() -> None:
    now = data.clock(ctx.role)
    kpi = load(ctx, "overview_kpis", now=now).iloc[0]
    cols = st.columns(3) + st.columns(3)  # two rows: six figures do not fit one row legibly
    cols[0].metric(t("kpi_last_24h"), fmt_int(kpi["n_last_24h"]))
    cols[1].metric(t("kpi_critical_open"), fmt_int(kpi["n_critical_open"]))
    cols[2].metric(t("kpi_communes"), fmt_int(kpi["n_communes"]))
    cols[3].metric(t("kpi_to_verify"), fmt_int(kpi["n_to_verify"]))
    cols[4].metric(t("kpi_median_verify"), fmt_duration_minutes(kpi["median_verify_minutes"]))
    cols[5].metric(t("kpi_median_resolve"), fmt_duration_minutes(kpi["median_resolve_minutes"]))
    st.caption(f"{t('as_of')} {fmt_datetime(now)} · {t('kpi_total')} : {fmt_int(kpi['n_incidents'])}")
    if ctx.role != "journalist":  # alerts are the situation room's (no alerts views in the journalist scope)
        n_open = data.query(ctx.role, "alerts_open_count")["n_open"].iloc[0]
        st.page_link("pages/alerts.py", label=f"{fmt_int(n_open)} {t('alerts_link')}",
                     icon=":material/notifications_active:")
    left, right = st.columns([3, 2])
    with left:
        render_commune_map(ctx, height=460, key="overview_map")
    with right:
        st.subheader(t("latest_incidents"))
        incidents_table(load(ctx, "latest_incidents", limit=50), key="overview_latest")


live()
