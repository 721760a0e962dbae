"""Rapport: the daily situation report of a chosen day, downloaded as a PDF holding what the role may see."""

import streamlit as st

from vigie.report import file_name, report_days
from vigie.ui import data
from vigie.ui.context import get_context, load
from vigie.ui.i18n import fmt_datetime, fmt_int, lang, t

ctx = get_context()
st.title(t("page_report"))
st.caption(t("report_intro"))

now = data.clock(ctx.role)
days = report_days(ctx.pack, now.date())
day = st.date_input(t("report_day"), value=min(max(now.date(), days[0]), days[-1]), min_value=days[0],
                    max_value=days[-1], format="DD/MM/YYYY", key="report_day")

st.subheader(t("report_preview"))
figures = load(ctx, "report_headline", day=day)
today, before = figures.iloc[-1], figures.iloc[0]
keys = ["n_incidents", "n_critical", "n_communes", "n_reports"] + ([] if ctx.role == "journalist" else ["n_to_verify"])
labels = {"n_incidents": t("incidents_word").capitalize(), "n_critical": t("report_critical"),
          "n_communes": t("kpi_communes"), "n_reports": t("col_reports"), "n_to_verify": t("kpi_to_verify")}
for col, key in zip(st.columns(len(keys)), keys):
    col.metric(labels[key], fmt_int(today[key]), delta=int(today[key] - before[key]), delta_color="inverse")
st.caption(f"{t('report_as_of')} {fmt_datetime(now)}.")

role, chosen_lang = ctx.role, lang()  # read here: the download runs outside this script's session
st.download_button(t("report_download"), lambda: data.report_pdf(role, day, chosen_lang),
                   file_name(day, role, chosen_lang), "application/pdf", key="report_download", type="primary",
                   icon=":material/picture_as_pdf:")
