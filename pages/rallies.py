"""Meetings: the rallies of today and the coming days on the map and as a table, with their protection.
Operators and admins decide the protection and the unit; party liaisons submit their own itineraries and
follow the answer; observers read; journalists see the rallies without protection or unit."""

import datetime as dt

import pandas as pd
import streamlit as st

from vigie import rallies
from vigie.ui import data
from vigie.ui.context import REFRESH_SECONDS, get_context, load
from vigie.report.labels import text as report_text
from vigie.ui.i18n import STRINGS, fmt_datetime, fmt_int, lang, t
from vigie.ui.maps import PROTECTION_COLORS, rallies_deck
from vigie.workflow import WorkflowError

ctx = get_context()
if ctx.role not in rallies.READING_ROLES:  # fact-checkers: the data layer has no rallies view for them either
    st.error(t("role_refused"))
    st.stop()

is_party, is_press, can_act = ctx.role == "party", ctx.role == "journalist", ctx.role in rallies.ACTING_ROLES
st.title(t("page_rallies"))
if is_party:
    st.caption(t("rallies_party_intro").format(party=ctx.user.party))
else:
    st.caption(t("rallies_journalist_scope") if is_press else t("rallies_intro"))

near = rallies.window_params()
today = data.clock(ctx.role).date()  # the room's day: the default period and the party form's default date
HORIZONS = {"7": 7, "3": 3, "1": 1, "filters": None}
HORIZON_LABELS = {"7": "rallies_h_7", "3": "rallies_h_3", "1": "rallies_h_today", "filters": "rallies_h_filters"}
horizon = st.segmented_control(t("rallies_horizon"), list(HORIZONS), default="7", key="rally_horizon",
                               format_func=lambda h: t(HORIZON_LABELS[h])) or "7"
if HORIZONS[horizon] is None:
    period = ctx.filters.params()
    date_from, date_to = period["date_from"], period["date_to"]
else:
    date_from = dt.datetime.combine(today, dt.time())
    date_to = date_from + dt.timedelta(days=HORIZONS[horizon])
params = {"date_from": date_from, "date_to": date_to, **near}


def status_label(status) -> str:
    """The daily report's words for a protection status (one list of them)."""
    return report_text(f"protection_{status if isinstance(status, str) else 'unknown'}", lang())


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """The rallies as this role's table shows them (text cells only: st.dataframe renders no HTML)."""
    shown = pd.DataFrame({
        "rally_id": frame["rally_id"], "starts_local": frame["starts_local"], "party": frame["party"],
        "commune": frame["commune"], "place": frame["place"], "expected_attendance": frame["expected_attendance"],
    })
    if not is_press:
        shown["protection"] = frame["protection_status"].map(status_label)
        shown["unit"] = frame["unit"]
    if not is_party:
        shown["n_incidents_near"] = frame["n_incidents_near"]
    if can_act:
        shown["source"] = frame["source"]
    return shown


COLUMNS = {"rally_id": "n°", "starts_local": "rally_col_when", "party": "rally_col_party", "commune": "commune",
           "place": "rally_col_place", "expected_attendance": "rally_col_attendance",
           "protection": "rally_col_protection", "unit": "rally_col_unit", "n_incidents_near": "rally_col_near",
           "source": "rally_col_source", "decided_at": "rally_col_decided", "at_time": "col_when",
           "actor": "rally_col_actor", "field": "rally_col_field", "from_value": "rally_col_from",
           "to_value": "rally_col_to", "reason": "rally_col_reason", "hours_from_start": "rally_col_hours"}


def _config(columns) -> dict:
    out = {}
    for c in columns:
        label = COLUMNS.get(c)
        if label == "n°":
            out[c] = st.column_config.Column("n°")
        elif label in STRINGS:
            out[c] = st.column_config.Column(t(label))
    if "starts_local" in columns:
        out["starts_local"] = st.column_config.DatetimeColumn(t("rally_col_when"), format="DD/MM/YYYY HH:mm")
    return out


@st.fragment(run_every=REFRESH_SECONDS)
def live() -> None:
    """Map and table, refreshed every few seconds: a decision of the room reaches the party at once."""
    frame = load(ctx, "rallies_upcoming", **params)
    if frame.empty:
        st.info(t("rallies_none"))
        return
    c1, c2 = st.columns([3, 2]) if not is_press else (st.container(), None)
    labels = {} if is_press else {s: status_label(s) for s in (*rallies.PROTECTION, None)}
    c1.pydeck_chart(rallies_deck(ctx.pack, frame, labels), key="rallies_map", width="stretch")
    if not is_press:
        missing = int((frame["protection_status"].fillna("") != "accordee").sum())
        legend = " · ".join(
            f"<span style='color:rgb{PROTECTION_COLORS[s]}'>●</span> {status_label(s)}"  # fixed labels, no data
            for s in (*rallies.PROTECTION, None))
        c2.markdown(legend, unsafe_allow_html=True)
        c2.metric(t("page_rallies"), fmt_int(len(frame)))
        if missing:
            c2.warning(t("rallies_unprotected").format(n=fmt_int(missing)), icon=":material/shield:")
    st.caption(f"{fmt_int(len(frame))} {t('rallies_count')} · {t('rallies_select_hint')}")
    shown = table(frame)
    event = st.dataframe(shown, hide_index=True, width="stretch", key="rallies_table", on_select="rerun",
                         selection_mode="single-row", column_config=_config(shown.columns))
    rows = event.selection.rows if event is not None else []
    if rows:
        chosen = str(int(frame.iloc[rows[0]]["rally_id"]))
        if st.query_params.get("meeting") != chosen:
            st.query_params["meeting"] = chosen  # shareable: /meetings?meeting=12
            st.rerun()


def _decide(rally_id: int, version: int) -> None:
    """The decision form's callback: the values typed, and the version the operator was looking at."""
    key = f"rally_{rally_id}"
    try:
        written = rallies.RallyWorkflow(data.get_store()).decide(
            ctx.user, rally_id, version, st.session_state[f"{key}_status"], st.session_state[f"{key}_unit"],
            st.session_state[f"{key}_reason"])
    except (WorkflowError, PermissionError) as exc:
        st.session_state["rally_error"] = str(exc)
    else:
        st.session_state["rally_done"] = t("rally_saved") if written else t("rally_nothing")


def detail(rally_id: int) -> None:
    found = load(ctx, "rally_detail", rally_id=rally_id)
    if found.empty:  # another party's rally, or none: the views say "not found"
        st.warning(t("rally_not_found"))
        return
    r = found.iloc[0]
    st.subheader(f"{t('rally')} n°{rally_id} — {r['party']}")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("rally_col_when"), fmt_datetime(r["starts_local"]))
    c2.metric(t("commune"), r["commune"] if isinstance(r["commune"], str) else "—")
    c3.metric(t("rally_col_attendance"), fmt_int(r["expected_attendance"]) if pd.notna(r["expected_attendance"]) else "—")
    if not is_press:
        c4.metric(t("rally_col_protection"), status_label(r["protection_status"]))
    unit = f"{t('rally_col_unit')} : {r['unit']}" if isinstance(r["unit"], str) and r["unit"] else None
    st.text(" · ".join(v for v in (r["place"], unit) if isinstance(v, str) and v))  # st.text renders no markup
    if not is_press:
        history = load(ctx, "rally_history", rally_id=rally_id)
        st.markdown(f"**{t('rally_history')}**")
        if history.empty:
            st.caption(t("rally_no_history"))
        else:
            shown = history.drop(columns=["event_id", "rally_id"])  # a party's view has no actor, no reason
            st.dataframe(shown, hide_index=True, width="stretch", key=f"rally_history_{rally_id}",
                         column_config=_config(shown.columns))
    if not is_party:
        incidents = load(ctx, "rally_incidents", rally_id=rally_id, **near)
        st.markdown("**" + t("rally_near").format(before=fmt_int(near["before_hours"]),
                                                  after=fmt_int(near["after_hours"])) + "**")
        if incidents.empty:
            st.caption(t("rally_near_none"))
        else:
            st.dataframe(incidents, hide_index=True, width="stretch", key=f"rally_incidents_{rally_id}",
                         column_config=_config(incidents.columns))
    if can_act:
        decide_form(rally_id, r)


def decide_form(rally_id: int, r: pd.Series) -> None:
    if msg := st.session_state.pop("rally_error", None):
        st.error(msg)
    if msg := st.session_state.pop("rally_done", None):
        st.success(msg)
    current = r["protection_status"] if isinstance(r["protection_status"], str) else None
    choices = [current, *rallies.TRANSITIONS[current]] if current else list(rallies.TRANSITIONS[None])
    key = f"rally_{rally_id}"
    with st.form(f"{key}_form"):
        st.markdown(f"**{t('rally_decide')}**")
        c1, c2 = st.columns(2)
        c1.selectbox(t("rally_status"), choices, key=f"{key}_status", format_func=status_label)
        c2.text_input(t("rally_unit_input"), value=r["unit"] if isinstance(r["unit"], str) else "",
                      key=f"{key}_unit", max_chars=rallies.MAX_UNIT)
        st.text_input(t("rally_reason"), key=f"{key}_reason", max_chars=rallies.MAX_REASON)
        # The version is bound when the form is drawn: a decision made meanwhile by another operator is refused.
        st.form_submit_button(t("rally_save"), type="primary", on_click=_decide, args=(rally_id, int(r["version"])))


def party_forms() -> None:
    if msg := st.session_state.pop("rally_submit_result", None):
        st.success(msg)
    refused = st.session_state.pop("rally_submit_refused", None)
    if refused:
        st.markdown(f"**{t('rally_refused_rows')}**")
        st.dataframe(pd.DataFrame(refused), hide_index=True, width="stretch", key="rally_refused")
    one, many = st.tabs([t("rally_submit"), t("rally_upload")])
    names = dict(zip(ctx.pack.communes["commune_code"], ctx.pack.communes["commune"]))
    with one, st.form("rally_submit_form", clear_on_submit=True):
        c1, c2, c3 = st.columns(3)
        day = c1.date_input(t("rally_form_date"), value=today, format="DD/MM/YYYY",
                            key="rally_form_day")
        hour = c2.time_input(t("rally_form_hour"), value=dt.time(15, 0), key="rally_form_hour")
        commune = c3.selectbox(t("commune"), sorted(names.values()), key="rally_form_commune")
        c1, c2 = st.columns([3, 1])
        place = c1.text_input(t("rally_col_place"), max_chars=200, key="rally_form_place")
        attendance = c2.number_input(t("rally_col_attendance"), min_value=0, max_value=10_000_000, step=100,
                                     value=0, key="rally_form_attendance")
        protect = st.checkbox(t("rally_form_protect"), value=True, key="rally_form_protect")
        if st.form_submit_button(t("rally_form_send"), type="primary"):
            _submitted(rallies.submit_one, day, hour, commune, place, int(attendance) or None, protect)
    with many:
        st.caption(t("rally_upload_help"))
        upload = st.file_uploader(t("rally_upload"), type=["csv", "txt"], key="rally_upload_file")
        if upload is not None and st.button(t("rally_upload_button"), key="rally_upload_send"):
            _submitted(rallies.submit_file, upload.getvalue(), upload.name)


def _submitted(action, *args) -> None:
    try:
        result, refused = action(data.get_store(), ctx.user, *args)
    except (WorkflowError, PermissionError) as exc:
        st.error(str(exc))
        return
    st.session_state["rally_submit_result"] = t("rally_received").format(
        accepted=result.accepted, duplicate=result.duplicate, quarantined=result.quarantined)
    st.session_state["rally_submit_refused"] = [
        {"ligne": r.line_no, "champ": r.field, "motif": r.reason} for r in refused]
    st.rerun()


if is_party:
    party_forms()
live()
shared = st.query_params.get("meeting") or ""
if shared.isdigit():
    st.divider()
    # Read through the role's views: a rally it may not see is "not found". Those who only read it follow it
    # live (a party liaison waits for the answer); an operator's form keeps the version it was drawn with.
    if can_act:
        detail(int(shared))
    else:
        st.fragment(detail, run_every=REFRESH_SECONDS)(int(shared))
