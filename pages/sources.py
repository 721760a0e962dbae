"""Sources (operators): per feed, when it was last seen, its counts, failed files and its quarantine."""

import streamlit as st

from vigie.ui import data
from vigie.ui.context import REFRESH_SECONDS, get_context
from vigie.ui.i18n import t

ctx = get_context()
if ctx.role not in ("admin", "operator"):
    st.error(t("operators_only"))
    st.stop()

st.title(t("page_sources"))


@st.fragment(run_every=REFRESH_SECONDS)
def live() -> None:
    today = data.clock(ctx.role).date()
    summary = data.query(ctx.role, "sources_summary", {"today": today})
    st.dataframe(summary, hide_index=True, width="stretch", key="sources_summary",
                 column_config=_labels(("source", "n_files", "n_received", "n_accepted", "n_duplicate",
                                        "n_quarantined", "n_failed_files", "last_file_at", "last_report_at",
                                        "n_today")))
    st.subheader(t("recent_files"))
    files = data.query(ctx.role, "ingest_files", {"limit": 50})
    st.dataframe(files, hide_index=True, width="stretch", key="ingest_files")


def _labels(columns) -> dict:
    return {c: st.column_config.Column(t("src_" + c)) for c in columns}


live()
st.subheader(t("quarantine"))
chosen = st.multiselect(t("source"), data.query(ctx.role, "sources_summary",
                                                {"today": data.clock(ctx.role).date()})["source"].tolist(),
                        key="quarantine_sources", placeholder=t("choose"))
quarantine = data.query(ctx.role, "quarantine_list", {"sources": chosen, "limit": 1000})
st.caption(f"{len(quarantine)} {t('quarantined_records')}")
st.dataframe(quarantine, hide_index=True, width="stretch", key="quarantine_table")
