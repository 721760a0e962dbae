"""Incident tables. st.dataframe renders cells as text, so report text is never interpreted as HTML."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from vigie.taxonomy import category_label, severity_label, status_label
from vigie.ui.i18n import fmt_datetime, lang, t


def incidents_table(frame: pd.DataFrame, key: str, height: int = 460) -> None:
    if frame.empty:
        st.info(t("no_incident"))
        return
    lg = lang()
    view = pd.DataFrame(
        {
            t("col_when"): [fmt_datetime(v) for v in frame["occurred_local"]],
            t("commune"): frame["commune"].fillna("—"),
            t("category"): [category_label(c, lg, short=True) for c in frame["category"]],
            t("severity"): [severity_label(s if pd.notna(s) else None, lg) for s in frame["severity"]],
            t("status"): [status_label(s, lg) for s in frame["status"]],
            t("col_title"): frame["title"].fillna(""),
            t("col_reports"): frame["n_reports"],
            t("col_sources"): frame["n_sources"],
        }
    )
    st.dataframe(view, hide_index=True, width="stretch", height=height, key=key)
