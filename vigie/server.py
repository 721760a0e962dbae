"""The server's start, without Streamlit: open the store, then run what works in the background.

Whoever writes (the Streamlit server today) calls `open_store` and then `start_background`; the page
code in vigie/ui/ only asks for the store. Keeping this free of Streamlit lets a process that only
ingests (or a test) start the same machinery.
"""

from __future__ import annotations

import atexit

import logging
from typing import Callable

from vigie import alerts, connectors, maintenance
from vigie.config import Settings
from vigie.ingest.backfill import backfill_match_keys
from vigie.ingest.inbox import InboxWatcher
from vigie.store import Store

log = logging.getLogger(__name__)

# Background services started after the watcher: (attribute on the store, start(store, settings)).
# A start returns an object with stop(), or None when the service is not configured.
SERVICES: list[tuple[str, Callable[[Store, Settings], object]]] = [
    # Pull connectors (Ushahidi, KoBo) run beside the watcher, only when config/connectors.toml exists.
    ("connectors", connectors.start),
    # Early warning: evaluates the alert rules and sends notifications in its own thread.
    ("alerts", alerts.start),
    # Compaction and snapshot expiry, so that reads stay fast (vigie/maintenance.py).
    ("compactor", maintenance.start),
]


def open_store(settings: Settings) -> Store:
    """The store, migrated, with every report's grouping keys (a writer's start: ingest needs them)."""
    store = Store.open(settings)
    backfill_match_keys(store)
    return store


def start_background(store: Store, settings: Settings) -> Store:
    """Start the inbox watcher and the background services; each is kept on the store for the pages."""
    after_each = None
    if settings.demo:
        from vigie.demo import simulate_operators

        after_each = lambda st_, _result: simulate_operators(st_)  # noqa: E731
    watcher = InboxWatcher(store, settings, after_each=after_each)
    watcher.start()
    store.watcher = watcher  # type: ignore[attr-defined]
    for name, start in SERVICES:
        setattr(store, name, start(store, settings))
    # At the process's exit the background threads stop before the interpreter finalises: a DuckDB call
    # still running in a daemon thread then aborts the whole process ("terminate called without an active
    # exception"), and with it the exit code of whatever ran the server (a test run, make).
    atexit.register(_shutdown, store)
    return store


def _shutdown(store: Store) -> None:
    try:
        stop_background(store)
        store.close()
    except Exception:  # noqa: BLE001 - exiting anyway; already closed is fine
        pass


def serve_store(settings: Settings) -> Store:
    """The app's store. Alone (one DuckDB file, `make run`): opened, backfilled, with its background work
    running. A replica over a shared lake: opened only; `vigie ingestd` does the rest."""
    if settings.replica:
        return Store.open(settings, replica=True)
    return start_background(open_store(settings), settings)


def stop_background(store: Store) -> None:
    """Stop what start_background started, the watcher last (it may be committing a batch)."""
    for name, _start in reversed(SERVICES):
        service = getattr(store, name, None)
        if service is not None:
            service.stop()
    watcher = getattr(store, "watcher", None)
    if watcher is not None:
        watcher.stop()
