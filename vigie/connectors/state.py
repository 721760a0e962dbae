"""One row of `connector_state` per connector (schema/004_connectors.sql), read at the start of each
run and upserted after each page, so a restarted server continues from the stored cursor."""

from __future__ import annotations

import dataclasses
import datetime as dt

from vigie.connectors.config import ConnectorConfig
from vigie.connectors.cursor import Cursor
from vigie.store import Store

COLUMNS = ("name", "kind", "url", "form", "active", "cursor_time", "cursor", "last_run_at", "last_success_at",
           "last_error", "last_error_at", "consecutive_failures", "next_run_at", "n_pulled", "n_last_run")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclasses.dataclass
class ConnectorState:
    name: str
    kind: str
    url: str
    form: str | None
    active: bool = True
    cursor: Cursor = dataclasses.field(default_factory=Cursor)
    last_run_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    consecutive_failures: int = 0
    next_run_at: dt.datetime | None = None
    n_pulled: int = 0
    n_last_run: int = 0


def load(store: Store, config: ConnectorConfig) -> ConnectorState:
    """The stored state, or a fresh one. A connector pointed at another server or form starts over."""
    row = store.raw_cursor().execute(
        f"select {', '.join(COLUMNS)} from connector_state where name = $name", {"name": config.name}
    ).fetchone()
    fresh = ConnectorState(config.name, config.kind, config.base_url, config.form)
    if row is None:
        return fresh
    values = dict(zip(COLUMNS, row))
    values.pop("cursor_time")
    values["cursor"] = Cursor.from_json(values["cursor"])
    state = ConnectorState(**values)
    if (state.kind, state.url, state.form) != (config.kind, config.base_url, config.form):
        # The old cursor means nothing on another server; the counters stay as history.
        state.cursor = Cursor()
        state.kind, state.url, state.form = config.kind, config.base_url, config.form
    state.active = True
    return state


def save(store: Store, state: ConnectorState) -> None:
    values = dataclasses.asdict(state)
    values["cursor"] = state.cursor.to_json()
    values["cursor_time"] = state.cursor.time.replace(tzinfo=None) if state.cursor.time else None
    values["updated_at"] = utcnow()
    names = [*COLUMNS, "updated_at"]
    with store.write_lock:
        store.replace_row("connector_state", {n: values[n] for n in names})  # keyed on its first item, name
    store.bump()  # the Sources page shows the new state on its next refresh


def deactivate_others(store: Store, names: list[str]) -> None:
    """Rows of connectors no longer configured stay (their history) but are shown as inactive."""
    with store.write_lock:
        store.raw_cursor().execute(
            "update connector_state set active = false where active and not list_contains($names, name)",
            {"names": names},
        )
