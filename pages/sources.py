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
    connectors()


# Labels of the connector table (French only for now; move them to vigie/ui/i18n.py with the English).
CONNECTOR_LABELS = {
    "name": "Connecteur", "kind": "API", "status": "État", "url": "Adresse", "form": "Formulaire",
    "cursor_time": "Curseur (UTC)", "n_pulled": "Tirés (total)", "n_last_run": "Tirés (dernier passage)",
    "last_run_at": "Dernier passage (UTC)", "last_success_at": "Dernier succès (UTC)",
    "next_run_at": "Prochain passage (UTC)", "consecutive_failures": "Échecs de suite",
    "last_error": "Dernière erreur", "last_error_at": "Dernière erreur à (UTC)", "active": "Actif",
}
CONNECTOR_STATUS = {"ok": "✅ ok", "erreur": "⚠️ erreur", "attente": "⏳ jamais réussi"}


def connectors() -> None:
    st.subheader("Connecteurs")
    problem = data.connectors_problem()
    if problem:
        st.error(f"Connecteurs non démarrés : {problem}")
    state = data.query(ctx.role, "connector_state")
    if state.empty:
        st.caption("Aucun connecteur configuré (config/connectors.toml, voir config/connectors.example.toml).")
        return
    state = state.assign(status=state["status"].map(CONNECTOR_STATUS).fillna(state["status"]))
    st.dataframe(state, hide_index=True, width="stretch", key="connector_state",
                 column_config={c: st.column_config.Column(label) for c, label in CONNECTOR_LABELS.items()})


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
