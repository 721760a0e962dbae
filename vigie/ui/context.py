"""What app.py hands to the page it routes to: the user, the role, the pack and the shared filters."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from vigie.auth import User
from vigie.filters import Filters
from vigie.geo import Pack
from vigie import sql
from vigie.ui import data
from vigie.ui.i18n import t

log = logging.getLogger(__name__)
REFRESH_SECONDS = 2


@dataclass(frozen=True)
class PageContext:
    user: User
    pack: Pack
    filters: Filters

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def sees_exact_locations(self) -> bool:
        return self.role in ("admin", "operator", "observer")


def set_context(ctx: PageContext) -> None:
    st.session_state["_ctx"] = ctx


def get_context() -> PageContext:
    ctx = st.session_state.get("_ctx")
    if ctx is None:  # a page opened without the entry point: never show data
        st.error(t("login_required"))
        st.stop()
    return ctx


def load(ctx: PageContext, name: str, **extra) -> pd.DataFrame:
    """A filtered, role-scoped query; a failure shows a message instead of crashing the page."""
    wanted = sql.load(name).params
    params = {k: v for k, v in ctx.filters.params().items() if k in wanted} | extra
    try:
        return data.query(ctx.role, name, params, ctx.user.party)
    except PermissionError:  # the query's roles do not include this one: the data layer refuses it
        st.error(t("role_refused"))
        st.stop()
    except Exception:  # noqa: BLE001 - the page stays up; the log has the details
        log.exception("query %s failed", name)
        st.error(t("data_error"))
        st.stop()
