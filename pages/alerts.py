"""Alertes: open alerts, their history and the notifications sent; operators acknowledge with a note."""

import pandas as pd
import streamlit as st

from vigie import alerts
from vigie.ui import data
from vigie.ui.context import REFRESH_SECONDS, get_context
from vigie.ui.i18n import STRINGS, fmt_int, lang, t

ctx = get_context()
if ctx.role not in ("admin", "operator", "observer"):
    st.error(t("alerts_forbidden"))  # the data layer refuses too: journalists have no alerts views
    st.stop()

st.title(t("page_alerts"))
st.caption(t("alerts_intro"))
can_act = ctx.role in alerts.ACTING_ROLES


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The alert rows as the page shows them, in the chosen language (text columns as text, never HTML)."""
    title = frame["title"] if lang() == "fr" else frame["title_en"].fillna(frame["title"])
    return pd.DataFrame({
        "alert_id": frame["alert_id"], "raised_at": frame["raised_at"],
        "rule": frame["rule"].map(lambda r: t(f"alert_rule_{r}") if f"alert_rule_{r}" in STRINGS else r),
        "title": title, "state": frame["state"].map(lambda s: t("alert_state_" + s)),
        "acked_by": frame["acked_by"], "acked_at": frame["acked_at"], "ack_note": frame["ack_note"],
        "cleared_at": frame["cleared_at"],
    })


COLUMNS = {"alert_id": "n°", "raised_at": "alert_col_raised", "rule": "alert_col_rule", "title": "alert_col_alert",
           "state": "alert_col_state", "acked_by": "alert_col_acked_by", "acked_at": "alert_col_acked_at",
           "ack_note": "alert_col_note", "cleared_at": "alert_col_cleared"}
DELIVERY_COLUMNS = {"notification_id": "n°", "channel": "alert_col_channel", "target": "alert_col_target",
                    "n_alerts": "alert_col_n", "attempt": "alert_col_attempt", "at_time": "alert_col_at",
                    "status": "alert_col_status", "next_try_at": "alert_col_next", "error": "alert_col_error"}


def _config(columns: dict) -> dict:
    return {c: st.column_config.Column(label if label == "n°" else t(label)) for c, label in columns.items()}


@st.fragment(run_every=REFRESH_SECONDS)
def live() -> None:
    deliveries = data.query(ctx.role, "alert_deliveries_state", {"due_before": None, "limit": 200})
    failing = deliveries[deliveries["status"].isin(["failed", "abandoned"])]
    if not failing.empty:
        st.warning(f"{fmt_int(len(failing))} {t('alerts_delivery_failed')}", icon=":material/mail_lock:")
    open_alerts = data.query(ctx.role, "alerts_list", {"state": "ouverte", "limit": 500})
    st.subheader(f"{t('alerts_open')} ({fmt_int(len(open_alerts))})")
    if open_alerts.empty:
        st.caption(t("alerts_none_open"))
    else:
        columns = ["alert_id", "raised_at", "rule", "title"]
        st.dataframe(shown(open_alerts)[columns], hide_index=True, width="stretch", key="alerts_open",
                     column_config=_config({c: COLUMNS[c] for c in columns}))
    st.subheader(t("alerts_history"))
    history = data.query(ctx.role, "alerts_list", {"state": "", "limit": 500})
    columns = list(COLUMNS) if can_act else [c for c in COLUMNS if c != "ack_note"]
    st.dataframe(shown(history)[columns], hide_index=True, width="stretch", key="alerts_history",
                 column_config=_config({c: COLUMNS[c] for c in columns}))
    st.subheader(t("alerts_deliveries"))
    if deliveries.empty:
        st.caption(t("alerts_no_delivery"))
    else:
        columns = [c for c in DELIVERY_COLUMNS if c in deliveries.columns]
        st.dataframe(deliveries[columns], hide_index=True, width="stretch", key="alerts_deliveries",
                     column_config=_config(DELIVERY_COLUMNS))


def acknowledge_form() -> None:
    if not can_act:
        st.caption(t("alerts_read_only"))
        return
    open_alerts = shown(data.query(ctx.role, "alerts_list", {"state": "ouverte", "limit": 500}))
    if open_alerts.empty:
        return
    labels = dict(zip(open_alerts["alert_id"].astype(int), open_alerts["title"]))
    with st.form("alerts_ack_form", clear_on_submit=True):
        st.markdown(f"**{t('alerts_ack')}**")
        chosen = st.selectbox(t("alerts_ack_choice"), list(labels), key="alerts_ack_id",
                              format_func=lambda i: f"n° {i} — {labels.get(i, '')}")
        note = st.text_input(t("alerts_ack_note"), key="alerts_ack_note", max_chars=1000)
        if st.form_submit_button(t("alerts_ack_button"), type="primary"):
            try:
                alerts.acknowledge(data.get_store(), ctx.user, int(chosen), note)
            except (alerts.AlertError, PermissionError) as exc:
                st.error(str(exc))
            else:
                st.success(t("alerts_acked"))


acknowledge_form()
live()
