"""The server's connector thread: runs each connector when it is due, one at a time.

Every connector runs at start-up, then every `interval_seconds` after a success, sooner when a run
stopped at `max_pages_per_run` with pages left, later (backoff) after an error. A request never
waits longer than its `timeout_seconds`, so one dead server delays the others by that much at most.
"""

from __future__ import annotations

import logging
import threading
import time

from vigie.config import Settings
from vigie.connectors import state as state_db
from vigie.connectors.config import ConfigError, ConnectorConfig, config_path, load_config
from vigie.connectors.pull import Connector
from vigie.store import Store

log = logging.getLogger(__name__)

MAX_SLEEP = 1.0  # seconds between checks, so stop() is quick


class ConnectorScheduler(threading.Thread):
    def __init__(self, store: Store, settings: Settings, configs: list[ConnectorConfig]):
        super().__init__(name="vigie-connectors", daemon=True)
        self.store = store
        self.connectors = [Connector(store, settings, c) for c in configs if c.enabled]
        self.stop_event = threading.Event()
        self.problem: str | None = None  # a configuration error, shown on the Sources page

    def run(self) -> None:
        try:
            state_db.deactivate_others(self.store, [c.name for c in self.connectors])
        except Exception:  # noqa: BLE001 - cosmetic; pulling matters more
            log.exception("connecteurs : état des connecteurs retirés non mis à jour")
        due = {c.name: 0.0 for c in self.connectors}
        while not self.stop_event.is_set():
            for connector in self.connectors:
                if self.stop_event.is_set():
                    return
                if due[connector.name] <= time.monotonic():
                    due[connector.name] = time.monotonic() + self._run(connector)
            wait = min(due.values(), default=time.monotonic() + MAX_SLEEP) - time.monotonic()
            self.stop_event.wait(min(max(wait, 0.0), MAX_SLEEP))

    def _run(self, connector: Connector) -> float:
        """Seconds until the connector's next run. run_once stores its own errors; this catches what it
        could not store (the database itself failing), so the thread outlives it."""
        try:
            return connector.run_once().delay
        except Exception:  # noqa: BLE001
            log.exception("connecteur %s : état non enregistré", connector.name)
            return connector.config.backoff_max_seconds

    def stop(self) -> None:
        self.stop_event.set()


def start(store: Store, settings: Settings) -> ConnectorScheduler | None:
    """Start the connector thread when a connectors file exists; None otherwise. A file that cannot be
    used starts nothing and leaves its reason in `problem` (the rest of the server keeps going)."""
    path = config_path()
    if not path.exists():
        return None
    try:
        configs = load_config(path)
    except ConfigError as exc:
        log.error("connecteurs non démarrés : %s", exc)
        scheduler = ConnectorScheduler(store, settings, [])
        scheduler.problem = str(exc)
        return scheduler
    scheduler = ConnectorScheduler(store, settings, configs)
    scheduler.start()
    log.info("connecteurs démarrés : %s", ", ".join(c.name for c in scheduler.connectors) or "aucun actif")
    return scheduler
