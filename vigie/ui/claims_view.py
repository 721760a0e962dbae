"""The Désinformation widgets: the claims table, the chart per day, a claim's detail (spread, history,
links) and the fact-checkers' actions (verdict, linking suggested reports).

Claim texts and links come from social-media feeds: texts are drawn with st.text / st.dataframe (never
interpreted as HTML or Markdown), and a link is shown as a link only when it is one http(s) URL.
"""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import streamlit as st

from vigie.auth import User
from vigie.claims import ACTING_ROLES, VERDICTS, ClaimWorkflow, suggestions
from vigie.ui import data
from vigie.ui.context import PageContext
from vigie.ui.i18n import fmt_datetime, fmt_int, t
from vigie.workflow import WorkflowError

NOT_CHECKED = "non_verifie"
VERDICT_COLORS = {"faux": "#b91c1c", "trompeur": "#ea580c", "invérifiable": "#6b7280", "vrai": "#15803d",
                  NOT_CHECKED: "#d4d4d4"}
_SAFE_URL = re.compile(r"https?://[^\s<>\"'`\\]+", re.IGNORECASE)


def safe_url(value) -> str | None:
    """The value when it is one http(s) link, else None: nothing else may become a clickable link."""
    return value if isinstance(value, str) and _SAFE_URL.fullmatch(value) else None


def verdict_label(code) -> str:
    return t(f"verdict_{code}") if isinstance(code, str) and code in VERDICTS else t("verdict_none")


def claims_table(frame: pd.DataFrame, key: str):
    """The claims as a table; returns the selected row position, if any."""
    view = pd.DataFrame({
        "n°": frame["claim_id"].astype("Int64"),
        t("claim_col_first_seen"): [fmt_datetime(v) for v in frame["first_seen"]],
        t("claim_col_platform"): frame["platform"].fillna(""),
        t("claim_col_text"): frame["text"].fillna(""),
        t("claim_col_reach"): frame["reach"].astype("Int64"),
        t("claim_col_verdict"): [verdict_label(v) for v in frame["verdict"]],
        t("claim_col_link"): [safe_url(v) for v in frame["url"]],
        t("claim_col_debunk"): [safe_url(v) for v in frame["debunk_url"]],
    })
    config = {t("claim_col_link"): st.column_config.LinkColumn(t("claim_col_link")),
              t("claim_col_debunk"): st.column_config.LinkColumn(t("claim_col_debunk"))}
    event = st.dataframe(view, hide_index=True, width="stretch", height=380, key=key, column_config=config,
                         on_select="rerun", selection_mode="single-row")
    rows = list(event.selection.rows) if event and event.selection else []
    return rows[0] if rows else None


def daily_chart(frame: pd.DataFrame) -> alt.Chart:
    chart = frame.assign(label=[verdict_label(None if v == NOT_CHECKED else v) for v in frame["verdict"]])
    order = [verdict_label(None if v == NOT_CHECKED else v) for v in VERDICT_COLORS]
    return alt.Chart(chart).mark_bar().encode(
        x=alt.X("day:T", title=None, axis=alt.Axis(format="%d/%m", labelAngle=0)),
        y=alt.Y("sum(n_claims):Q", title=t("claims_count")),
        color=alt.Color("label:N", title=t("claim_col_verdict"),
                        scale=alt.Scale(domain=order, range=list(VERDICT_COLORS.values()))),
        tooltip=[alt.Tooltip("day:T", format="%d/%m/%Y"), alt.Tooltip("label:N", title=t("claim_col_verdict")),
                 alt.Tooltip("sum(n_claims):Q", title=t("claims_count"))],
    ).properties(height=260)


def _run(ctx: PageContext, name: str, **params) -> pd.DataFrame:
    return data.query(ctx.role, name, params)


def render_claim(ctx: PageContext, claim_id: int) -> None:
    found = _run(ctx, "claim_detail", claim_id=int(claim_id))
    if found.empty:
        st.warning(t("claim_not_found"))
        return
    claim = found.iloc[0]
    st.subheader(f"{t('claim')} n°{int(claim['claim_id'])}")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("claim_col_verdict"), verdict_label(claim["verdict"]))
    c2.metric(t("claim_col_reach"), fmt_int(claim["reach"]) if pd.notna(claim["reach"]) else "—")
    c3.metric(t("claim_col_platform"), str(claim["platform"]))
    c4.metric(t("claim_col_first_seen"), fmt_datetime(claim["first_seen"]))
    st.text(claim["text"] or "")  # st.text never interprets HTML or Markdown
    _link_or_text(t("claim_col_link"), claim["url"], "claim_url")
    if pd.notna(claim["justification"]):
        st.caption(t("claim_col_justification"))
        st.text(claim["justification"])
    if pd.notna(claim["debunk_url"]):
        _link_or_text(t("claim_col_debunk"), claim["debunk_url"], "claim_debunk")
    sightings = _run(ctx, "claim_sightings", claim_id=int(claim_id))
    if len(sightings) > 1:
        st.markdown(f"**{t('claim_spread')}**")
        st.altair_chart(alt.Chart(sightings).mark_line(point=True).encode(
            x=alt.X("seen_at:T", title=None), y=alt.Y("reach:Q", title=t("claim_col_reach"))).properties(height=200),
            width="stretch")
    if ctx.role == "journalist":
        return
    linked = _run(ctx, "claim_linked", claim_id=int(claim_id))
    st.markdown(f"**{t('claim_linked')}** ({len(linked)})")
    chosen_links = _linked_table(linked, selectable=ctx.role in ACTING_ROLES, key=f"claim_linked_{claim_id}")
    history = _run(ctx, "claim_history", claim_id=int(claim_id))
    if len(history):
        st.markdown(f"**{t('claim_history')}**")
        st.dataframe(history, hide_index=True, width="stretch", key=f"claim_history_{claim_id}",
                     column_config={"debunk_url": st.column_config.TextColumn()})
    if ctx.role in ACTING_ROLES:
        render_actions(ctx, claim, linked, chosen_links)


def _link_or_text(label: str, value, key: str) -> None:
    url = safe_url(value)
    if url:
        st.link_button(f"{label} ↗", url, key=key)
    elif isinstance(value, str):
        st.text(f"{label} : {value}")


def _linked_table(linked: pd.DataFrame, selectable: bool, key: str) -> list[int]:
    if linked.empty:
        return []
    view = linked[["report_id", "incident_id", "occurred_local", "commune_code", "description", "linked_by",
                   "linked_at"]]
    if not selectable:
        st.dataframe(view, hide_index=True, width="stretch", key=key)
        return []
    event = st.dataframe(view, hide_index=True, width="stretch", key=key, on_select="rerun",
                         selection_mode="multi-row")
    return list(event.selection.rows) if event and event.selection else []


def _act(action, *args, **kwargs) -> None:
    try:
        action(*args, **kwargs)
    except (WorkflowError, PermissionError) as exc:
        st.session_state["claim_error"] = str(exc)
    else:
        st.session_state["claim_done"] = t("action_done")


def _save_verdict(workflow: ClaimWorkflow, user: User, claim_id: int, version: int) -> None:
    # Read at click time: a value typed just before the click reaches the callback, not the one of the
    # run that drew the button.
    state = st.session_state
    _act(workflow.give_verdict, user, claim_id, version, state.get(f"claim_verdict_{claim_id}") or "",
         state.get(f"claim_justification_{claim_id}"), state.get(f"claim_debunk_{claim_id}"))


def render_actions(ctx: PageContext, claim: pd.Series, linked: pd.DataFrame, chosen_links: list[int]) -> None:
    user: User = ctx.user
    workflow = ClaimWorkflow(data.get_store())
    claim_id, version = int(claim["claim_id"]), int(claim["version"])
    if msg := st.session_state.pop("claim_error", None):
        st.error(msg)
    if msg := st.session_state.pop("claim_done", None):
        st.success(msg)
    if chosen_links:
        rows = linked.iloc[chosen_links]
        st.button(t("claim_unlink_selected"), key=f"claim_unlink_{claim_id}", on_click=_act, args=(
            workflow.link, user, claim_id, version, rows["report_id"].dropna().astype(int).tolist(),
            [] if user.role == "factchecker" else rows.loc[rows["report_id"].isna(), "incident_id"].dropna()
            .astype(int).tolist()), kwargs={"undo": True})

    st.markdown(f"**{t('claim_give_verdict')}**")
    current = claim["verdict"] if claim["verdict"] in VERDICTS else VERDICTS[1]
    st.segmented_control(t("claim_col_verdict"), list(VERDICTS), default=current,
                                   format_func=verdict_label, key=f"claim_verdict_{claim_id}")
    st.text_area(t("claim_justification"), key=f"claim_justification_{claim_id}", height=80,
                                 max_chars=2000)
    st.text_input(t("claim_debunk_url"), key=f"claim_debunk_{claim_id}", max_chars=2000)
    st.button(t("claim_save_verdict"), key=f"claim_save_{claim_id}", type="primary", on_click=_save_verdict,
              args=(workflow, user, claim_id, version))

    st.markdown(f"**{t('claim_suggestions')}**")
    suggested = suggestions(data.get_store(), ctx.role, claim_id)
    if suggested.empty:
        st.caption(t("claim_no_suggestion"))
    else:
        view = suggested[["report_id", "incident_id", "occurred_local", "commune_code", "description", "score"]]
        event = st.dataframe(view, hide_index=True, width="stretch", key=f"claim_suggested_{claim_id}",
                             on_select="rerun", selection_mode="multi-row")
        rows = list(event.selection.rows) if event and event.selection else []
        if rows:
            st.button(t("claim_link_selected"), key=f"claim_link_{claim_id}", on_click=_act, args=(
                workflow.link, user, claim_id, version, view.iloc[rows]["report_id"].astype(int).tolist()))
    if user.role in ("admin", "operator"):
        incident = st.number_input(t("claim_link_incident"), min_value=0, step=1, value=0,
                                   key=f"claim_incident_{claim_id}")
        if incident:
            st.button(t("claim_link"), key=f"claim_link_incident_{claim_id}", on_click=_act,
                      args=(workflow.link, user, claim_id, version, [], [int(incident)]))


def render_incident_claims(ctx: PageContext, incident_id: int) -> None:
    """On an incident's detail view: the claims it repeats, with their verdict."""
    found = _run(ctx, "incident_claims", incident_id=int(incident_id))
    if found.empty:
        return
    st.markdown(f"**{t('incident_claims')}**")
    view = pd.DataFrame({
        "n°": found["claim_id"].astype("Int64"),
        t("claim_col_platform"): found["platform"].fillna(""),
        t("claim_col_text"): found["text"].fillna(""),
        t("claim_col_verdict"): [verdict_label(v) for v in found["verdict"]],
        t("claim_col_justification"): found["justification"].fillna(""),
        t("claim_col_debunk"): [safe_url(v) for v in found["debunk_url"]],
    })
    st.dataframe(view, hide_index=True, width="stretch", key=f"incident_claims_{incident_id}",
                 column_config={t("claim_col_debunk"): st.column_config.LinkColumn(t("claim_col_debunk"))})
