"""The server's single store (opened lazily, once) and cached, role-scoped query results.

Results are cached per (role, query, parameters, store version): the version is bumped after every
write, so new data invalidates exactly the results that may have changed, and nothing else.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import streamlit as st

from vigie import report, server, sessions, sql
from vigie.config import load_settings
from vigie.store import Store

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    return server.serve_store(load_settings())


def connectors_problem() -> str | None:
    """Why the connectors file could not be used, if it could not (shown on the Sources page)."""
    scheduler = getattr(get_store(), "connectors", None)
    return scheduler.problem if scheduler is not None else None


@st.cache_data(ttl=900, max_entries=512, show_spinner=False)
def _cached(database: str, role: str, party: str | None, name: str, version: int, params: dict) -> pd.DataFrame:
    return sql.run(get_store(), role, name, params, party)


@st.cache_resource(max_entries=4, show_spinner=False)
def _revocations(database: str, version: int) -> sessions.Revocations:
    return sessions.revocations(get_store())


def revoked(session: sessions.Session) -> bool:
    """Whether a cookie's session was ended (logout, account change): one read of the revocations per
    store version for the whole process, where a query per arriving session was most of a crowd's first
    page on a lake. A revocation is a write: it changes the version, so it counts at once here (and
    within the half second the lake's snapshot is re-read, in the other replicas)."""
    store = get_store()
    return _revocations(store.backend, store.version).cover(session)


def query(role: str, name: str, params: dict | None = None, party: str | None = None) -> pd.DataFrame:
    """Cached per database (file or lake), role (and a party liaison's party), query, parameters and store
    version: a result of another state folder (tests, a restart on another VIGIE_HOME) or of another party
    can never be served."""
    store = get_store()
    return _cached(store.backend, role, party if role == "party" else None, name, store.version, params or {})


def clock(role: str) -> dt.datetime:
    """The situation room's "now", in local time: real time, or the latest incident when replaying."""
    settings = load_settings()
    store = get_store()
    if settings.clock == "data":
        # Roles without incidents (party liaisons, fact-checkers) replay on the room's clock: one timestamp,
        # the latest incident's time, and nothing of the incident.
        latest = query("observer" if role in ("party", "factchecker") else role, "data_clock")["latest"].iloc[0]
        if pd.notna(latest):
            return latest.to_pydatetime()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now + dt.timedelta(hours=store.pack.utc_offset_hours)


@st.cache_data(ttl=900, max_entries=64, show_spinner=False)
def _report_pdf(database: str, role: str, day: dt.date, lang: str, version: int) -> bytes:
    return report.make_pdf(get_store(), role, day, lang, now=clock(role))


def report_pdf(role: str, day: dt.date, lang: str) -> bytes:
    """The daily report's PDF, rendered once per (database, role, day, language, data version)."""
    store = get_store()
    return _report_pdf(store.backend, role, day, lang, store.version)
