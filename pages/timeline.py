"""Chronologie: incidents per day or hour across the campaign, by category, with the phases as bands."""

import streamlit as st

from vigie.ui.charts import timeline_spec
from vigie.ui.context import REFRESH_SECONDS, get_context, load
from vigie.ui.i18n import fmt_date, lang, phase_label, t

ctx = get_context()
st.title(t("page_timeline"))
buckets = {"day": t("per_day"), "hour": t("per_hour")}
bucket = st.radio(t("bucket"), list(buckets), format_func=buckets.get, horizontal=True, key="timeline_bucket")
election = ctx.pack.election
if election:
    st.caption(f"{election.name if lang() == 'fr' else election.name_en} · {t('election_day')} : "
               f"{fmt_date(election.election_day)} · {t('phases_legend')}")


@st.fragment(run_every=REFRESH_SECONDS)
def live() -> None:
    frame = load(ctx, "timeline", bucket=bucket)
    if frame.empty:
        st.info(t("no_incident"))
    titles = {"y": t("incidents_word").capitalize(), "category": t("category"), "when": t("col_when"),
              "phase": t("phase"), "election_day": t("election_day")}
    spec = timeline_spec(frame, election, bucket, lang(), phase_label, ctx.filters.date_from, ctx.filters.date_to,
                         titles)
    st.vega_lite_chart(spec, width="stretch", key="timeline_chart")


live()
