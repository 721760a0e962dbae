"""The incident detail view (linked reports, sources, location, history) and the operators' actions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from vigie.auth import User
from vigie.taxonomy import CATEGORIES, SEVERITIES, category_label, severity_label, status_label
from vigie.ui import data
from vigie.ui.claims_view import render_incident_claims
from vigie.ui.context import PageContext
from vigie.ui.i18n import fmt_datetime, lang, t
from vigie.ui.maps import location_deck
from vigie.workflow import TRANSITIONS, Workflow, WorkflowError

# Columns never shown in the detail tables, whatever the role (internal keys and the raw record).
HIDDEN_REPORT_COLUMNS = ("raw", "content_hash", "ref_key", "ingest_seq", "incident_id", "occurred_at",
                         "match_text", "match_names", "search_text")  # kept for grouping and search


def _run(ctx: PageContext, name: str, **params) -> pd.DataFrame:
    return data.query(ctx.role, name, params)


def render_detail(ctx: PageContext, incident_id: int) -> None:
    detail = _run(ctx, "incident_detail", incident_id=int(incident_id))
    if detail.empty:
        st.warning(t("incident_not_found"))
        return
    inc = detail.iloc[0]
    lg = lang()
    st.subheader(f"{t('incident')} n°{int(inc['incident_id'])} — {category_label(inc['category'], lg)}")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("status"), status_label(inc["status"], lg))
    c2.metric(t("severity"), severity_label(inc["severity"] if pd.notna(inc["severity"]) else None, lg))
    c3.metric(t("commune"), inc["commune"] if pd.notna(inc["commune"]) else t("unlocated"))
    c4.metric(t("col_when"), fmt_datetime(inc["occurred_local"]))
    st.text(inc["title"] or "")  # st.text never interprets HTML or Markdown
    if ctx.role != "journalist":
        extra = [f"{t('published')} : {t('yes') if inc['published'] else t('no')}"]
        if inc.get("held"):
            extra.append(t("held_back"))
        if pd.notna(inc.get("assigned_unit")):
            extra.append(f"{t('unit')} : {inc['assigned_unit']}")
        st.caption(" · ".join(extra))
    left, right = st.columns([2, 3])
    with left:
        st.pydeck_chart(location_deck(ctx.pack, inc["commune_code"], inc["lat"], inc["lon"]),
                        key=f"loc_{incident_id}")
    with right:
        reports = _run(ctx, "incident_reports", incident_id=int(incident_id))
        st.markdown(f"**{t('linked_reports')}** ({len(reports)})")
        shown = reports.drop(columns=[c for c in HIDDEN_REPORT_COLUMNS if c in reports.columns])
        st.dataframe(shown, hide_index=True, width="stretch", height=220, key=f"reports_{incident_id}")
    render_incident_claims(ctx, incident_id)  # the claims it repeats, with their verdict
    render_rallies_near(ctx, incident_id)
    if ctx.role != "journalist":
        history = _run(ctx, "incident_history", incident_id=int(incident_id))
        st.markdown(f"**{t('history')}**")
        st.dataframe(history.drop(columns=["incident_id"]), hide_index=True, width="stretch",
                     key=f"history_{incident_id}")
    if ctx.role in ("admin", "operator"):
        render_actions(ctx.user, inc, reports)


def render_rallies_near(ctx: PageContext, incident_id: int) -> None:
    """The rallies whose window (VIGIE_RALLY_BEFORE/AFTER_HOURS) holds the incident, in its commune: flagged,
    so that the room links a clash to the meeting it happened beside."""
    from vigie.rallies import window_params

    near = _run(ctx, "incident_rallies", incident_id=int(incident_id), **window_params())
    if near.empty:
        return
    st.warning(t("rallies_near_incident"), icon=":material/groups:")  # a fixed text: the rows go in the table
    st.dataframe(near, hide_index=True, width="stretch", key=f"rallies_near_{incident_id}")


def _act(action, *args) -> None:
    try:
        action(*args)
    except (WorkflowError, PermissionError) as exc:
        st.session_state["action_error"] = str(exc)
    else:
        st.session_state["action_done"] = t("action_done")


def render_actions(user: User, inc: pd.Series, reports: pd.DataFrame) -> None:
    workflow = Workflow(data.get_store())
    incident_id, version = int(inc["incident_id"]), int(inc["version"])
    lg = lang()
    if msg := st.session_state.pop("action_error", None):
        st.error(msg)
    if msg := st.session_state.pop("action_done", None):
        st.success(msg)
    st.markdown(f"**{t('actions')}**")
    reason = st.text_input(t("reason"), key=f"reason_{incident_id}")
    cols = st.columns(4)
    for i, target in enumerate(TRANSITIONS[inc["status"]]):
        cols[i % 4].button(
            status_label(target, lg), key=f"to_{target}_{incident_id}",
            on_click=_act, args=(workflow.set_status, user, {incident_id: version}, target, reason or None),
        )
    c1, c2, c3 = st.columns(3)
    with c1:
        cat = st.selectbox(t("category"), list(CATEGORIES), index=list(CATEGORIES).index(inc["category"])
                           if inc["category"] in CATEGORIES else 0,
                           format_func=lambda c: category_label(c, lg, short=True), key=f"cat_{incident_id}")
        st.button(t("apply"), key=f"setcat_{incident_id}", on_click=_act,
                  args=(workflow.set_field, user, incident_id, version, "category", cat, reason or None))
    with c2:
        sev_now = int(inc["severity"]) if pd.notna(inc["severity"]) else 1
        sev = st.selectbox(t("severity"), list(SEVERITIES), index=sev_now - 1,
                           format_func=lambda s: severity_label(s, lg), key=f"sev_{incident_id}")
        st.button(t("apply"), key=f"setsev_{incident_id}", on_click=_act,
                  args=(workflow.set_field, user, incident_id, version, "severity", sev, reason or None))
    with c3:
        held = bool(inc.get("held"))
        st.button(t("release") if held else t("hold_back"), key=f"hold_{incident_id}", on_click=_act,
                  args=(workflow.set_field, user, incident_id, version, "held", "false" if held else "true",
                        reason or None))
    c1, c2 = st.columns(2)
    with c1:
        unit = st.text_input(t("unit"), key=f"unit_{incident_id}", placeholder="Commissariat de …")
        st.button(t("escalate"), key=f"escalate_{incident_id}", on_click=_act,
                  args=(workflow.escalate, user, incident_id, version, unit, reason or None))
    with c2:
        note = st.text_area(t("internal_note"), key=f"note_{incident_id}", height=80)
        st.button(t("add_note"), key=f"addnote_{incident_id}", on_click=_act,
                  args=(workflow.note, user, incident_id, note))
    c1, c2 = st.columns(2)
    with c1:
        other = st.number_input(t("merge_from"), min_value=0, step=1, value=0, key=f"merge_{incident_id}")
        if other:
            versions = workflow.states([incident_id, int(other)])
            expected = {k: v.version for k, v in versions.items()}
            expected[incident_id] = version  # what this operator saw for the target
            st.button(t("merge"), key=f"domerge_{incident_id}", on_click=_act,
                      args=(workflow.merge, user, incident_id, expected, reason or None))
    with c2:
        if len(reports) > 1:
            rid = st.selectbox(t("split_report"), reports["report_id"].tolist(), key=f"split_{incident_id}")
            st.button(t("split"), key=f"dosplit_{incident_id}", on_click=_act,
                      args=(workflow.split, user, int(rid), reason or None))
    if pd.isna(inc["commune_code"]):
        communes = dict(zip(data.get_store().pack.communes["commune_code"], data.get_store().pack.communes["commune"]))
        code = st.selectbox(t("locate_in"), sorted(communes, key=communes.get), format_func=communes.get,
                            key=f"locate_{incident_id}")
        st.button(t("locate"), key=f"dolocate_{incident_id}", on_click=_act,
                  args=(workflow.set_field, user, incident_id, version, "commune_code", code, reason or None))
