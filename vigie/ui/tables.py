"""Incident tables. st.dataframe renders cells as text, so report text is never interpreted as HTML."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from vigie.taxonomy import category_label, severity_label, status_label
from vigie.ui.i18n import fmt_datetime, lang, t


def incidents_table(frame: pd.DataFrame, key: str, height: int = 460, selectable: bool = False,
                    multi: bool = False):
    """Draw incidents as a table; with `selectable`, return the selected row position(s)."""
    if frame.empty:
        st.info(t("no_incident"))
        return [] if multi else None
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
    view.insert(0, "n°", frame["incident_id"].astype("Int64"))
    if not selectable:
        st.dataframe(view, hide_index=True, width="stretch", height=height, key=key)
        return None
    event = st.dataframe(view, hide_index=True, width="stretch", height=height, key=key, on_select="rerun",
                         selection_mode="multi-row" if multi else "single-row")
    rows = list(event.selection.rows) if event and event.selection else []
    if multi:
        return rows
    return rows[0] if rows else None


def batch_actions(user, expected: dict[int, int]) -> None:
    """Buttons that change the status of every selected incident at once (all or nothing)."""
    from vigie.taxonomy import status_label
    from vigie.ui import data
    from vigie.ui.incident_view import _act
    from vigie.workflow import Workflow

    workflow = Workflow(data.get_store())
    if msg := st.session_state.pop("action_error", None):
        st.error(msg)
    if msg := st.session_state.pop("action_done", None):
        st.success(msg)
    st.caption(f"{len(expected)} {t('batch_selected')}")
    cols = st.columns(5)
    for col, target in zip(cols, ("en_verification", "verifie", "faux", "clos")):
        label = t("archive") if target == "clos" else status_label(target, lang())
        col.button(label, key=f"batch_{target}", on_click=_act,
                   args=(workflow.set_status, user, expected, target, "action groupée"))
    if len(expected) > 1:
        target = cols[4].selectbox(t("duplicates_of"), sorted(expected), key="batch_merge_target")
        cols[4].button(t("merge"), key="batch_merge", on_click=_act,
                       args=(workflow.merge, user, int(target), expected, "doublons (action groupée)"))
