"""Désinformation: social-media claims with their verdicts, spread and debunks; fact-checkers' verdicts."""

import datetime as dt

import streamlit as st

from vigie.claims import VERDICTS
from vigie.ui.claims_view import NOT_CHECKED, claims_table, daily_chart, render_claim, verdict_label
from vigie.ui.context import get_context, load
from vigie.ui.i18n import fmt_int, t

LIMIT = 500
URL = {"verdict": "c_verdict", "plateforme": "c_platform", "recherche": "c_search"}  # URL key → widget key

ctx = get_context()
st.title(t("page_claims"))
st.caption(t("claims_journalist_scope") if ctx.role == "journalist" else t("claims_intro"))

verdicts = list(VERDICTS) if ctx.role == "journalist" else [*VERDICTS, NOT_CHECKED]
platforms = load(ctx, "claim_platforms")["platform"].tolist()
if not st.session_state.get("c_ready"):  # first run of the session: the URL's values, checked
    st.session_state.update(
        c_verdict=[v for v in st.query_params.get_all("verdict") if v in verdicts],
        c_platform=[p for p in st.query_params.get_all("plateforme") if p in platforms],
        c_search=(st.query_params.get("recherche") or "")[:200],
        c_ready=True,
    )
c1, c2, c3 = st.columns([2, 2, 3])
c1.multiselect(t("claims_verdict_filter"), verdicts, key="c_verdict", placeholder=t("choose"),
               format_func=lambda v: verdict_label(None if v == NOT_CHECKED else v))
c2.multiselect(t("claims_platform_filter"), sorted(set(platforms) | set(st.session_state["c_platform"])),
               key="c_platform", placeholder=t("choose"))
c3.text_input(t("claims_search"), key="c_search", max_chars=200)
for url_key, widget in URL.items():
    value = st.session_state[widget]
    if value:
        st.query_params[url_key] = value
    elif url_key in st.query_params:
        del st.query_params[url_key]

# The shared period is in local days; claims are dated in UTC.
offset = dt.timedelta(hours=ctx.pack.utc_offset_hours)
period = ctx.filters.params()
params = {"verdicts": st.session_state["c_verdict"], "platforms": st.session_state["c_platform"],
          "search": st.session_state["c_search"].strip(), "communes": list(ctx.filters.communes),
          "date_from": period["date_from"] - offset, "date_to": period["date_to"] - offset}
claims = load(ctx, "claims_list", **params, limit=LIMIT)
daily = load(ctx, "claims_daily", **params)

st.markdown(f"**{t('claims_per_day')}**")
if daily.empty:
    st.info(t("claims_none"))
else:
    st.altair_chart(daily_chart(daily), width="stretch")
st.caption(f"{fmt_int(len(claims))} {t('claims_count')} · {t('claims_select_hint')}")
if claims.empty:
    st.stop()
selected = claims_table(claims, key="claims_table")
# The open claim is in the URL too (?affirmation=12), so that a link to it can be shared.
if selected is not None:
    st.query_params["affirmation"] = str(int(claims.iloc[selected]["claim_id"]))
shared = st.query_params.get("affirmation") or ""
if shared.isdigit():
    st.divider()
    render_claim(ctx, int(shared))  # read through the role's views: a claim it may not see is "not found"
