"""The shared filters in the sidebar, initialised from the URL and written back to it on every run."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import streamlit as st

from vigie.filters import UNCATEGORISED, Filters, default_period, from_query_params
from vigie.geo import Pack
from vigie.taxonomy import CATEGORIES, SEVERITIES, STATUSES, category_label, severity_label, status_label
from vigie.ui.i18n import lang, phase_label, t

URL_KEYS = ("phase", "du", "au", "dep", "commune", "cat", "grav", "statut", "source")
CUSTOM = "__custom__"


def _url_params() -> dict:
    return {key: st.query_params.get_all(key) for key in URL_KEYS if key in st.query_params}


def _init_state(pack: Pack, sources: list[str]) -> None:
    f = from_query_params(_url_params(), pack, set(sources) if sources else None)
    st.session_state.update(
        f_phase=f.phase or ("" if (f.date_from, f.date_to) == default_period(pack) else CUSTOM),
        f_dates=(f.date_from, f.date_to),
        f_dep=list(f.departements),
        f_commune=list(f.communes),
        f_cat=list(f.categories),
        f_grav=list(f.severities),
        f_statut=list(f.statuses),
        f_source=list(f.sources),
        f_ready=True,
    )


def _reset(pack: Pack) -> None:
    st.query_params.clear()
    st.session_state.pop("f_ready", None)


def sidebar_filters(pack: Pack, sources: list[str]) -> Filters:
    if not st.session_state.get("f_ready"):
        _init_state(pack, sources)
    communes = pack.communes
    dep_names = dict(zip(communes["departement_code"], communes["departement"]))
    commune_names = dict(zip(communes["commune_code"], communes["commune"]))
    with st.sidebar:
        st.subheader(t("filters"))
        phases = [""] + ([p.code for p in pack.election.phases] if pack.election else []) + [CUSTOM]
        st.selectbox(
            t("phase"), phases, key="f_phase",
            format_func=lambda c: t("all_phases") if c == "" else t("custom_period") if c == CUSTOM else phase_label(c),
        )
        if st.session_state["f_phase"] == CUSTOM:
            st.date_input(t("period"), key="f_dates", format="DD/MM/YYYY")
        st.multiselect(t("departement"), sorted(dep_names, key=dep_names.get), key="f_dep",
                       format_func=dep_names.get, placeholder=t("choose"))
        chosen_deps = set(st.session_state["f_dep"])
        commune_options = sorted(
            (c for c, d in zip(communes["commune_code"], communes["departement_code"]) if not chosen_deps or d in chosen_deps),
            key=commune_names.get,
        )
        st.session_state["f_commune"] = [c for c in st.session_state["f_commune"] if c in commune_options]
        st.multiselect(t("commune"), commune_options, key="f_commune", format_func=commune_names.get,
                       placeholder=t("choose"))
        st.multiselect(t("category"), [*CATEGORIES, UNCATEGORISED], key="f_cat",
                       format_func=lambda c: category_label(None if c == UNCATEGORISED else c, lang(), short=True),
                       placeholder=t("choose"))
        st.multiselect(t("severity"), list(SEVERITIES), key="f_grav", format_func=lambda s: severity_label(s, lang()),
                       placeholder=t("choose"))
        st.multiselect(t("status"), list(STATUSES), key="f_statut", format_func=lambda s: status_label(s, lang()),
                       placeholder=t("choose_status"))
        # Read before its widget exists: a session whose widget states did not come back has none.
        known_sources = sorted(set(sources) | set(st.session_state.get("f_source") or ()))
        st.multiselect(t("source"), known_sources, key="f_source", placeholder=t("choose"))
        st.button(t("reset_filters"), on_click=_reset, args=(pack,), width="stretch")
    filters = _from_state(pack)
    # A page's own parameters (the Désinformation page's verdict, …) stay in the URL beside the shared ones;
    # the page that reads them checks them.
    own = {key: st.query_params.get_all(key) for key in st.query_params if key not in URL_KEYS}
    st.query_params.from_dict(filters.to_query_params() | own)
    return filters


def _from_state(pack: Pack) -> Filters:
    start, end = default_period(pack)
    dates = st.session_state.get("f_dates") or (start, end)
    if isinstance(dates, dt.date):
        dates = (dates, dates)
    date_from, date_to = (dates[0], dates[-1]) if len(dates) else (start, end)
    filters = Filters(
        date_from=date_from,
        date_to=date_to,
        departements=tuple(st.session_state["f_dep"]),
        communes=tuple(st.session_state["f_commune"]),
        categories=tuple(st.session_state["f_cat"]),
        severities=tuple(int(s) for s in st.session_state["f_grav"]),
        statuses=tuple(st.session_state["f_statut"]),
        sources=tuple(st.session_state["f_source"]),
    )
    phase = st.session_state["f_phase"]
    if phase == "":
        return replace(filters, date_from=start, date_to=end)
    if phase == CUSTOM:
        return filters
    return filters.with_phase(pack, phase)
