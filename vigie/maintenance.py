"""Compaction on a schedule, in the one writer (`python -m vigie ingestd`, or the single-file server).

Every write is a small commit; on a lake each leaves small files and a snapshot, and reads slow down as
they pile up. `Store.compact` merges them and expires old snapshots (their time travel only: the audit
trail is insert-only, so its rows are all in the latest snapshot and stay). On one DuckDB file it is a
checkpoint.

| variable              | default | meaning                                                        |
|-----------------------|---------|----------------------------------------------------------------|
| VIGIE_COMPACT_MINUTES | 60      | minutes between two passes; 0: never                           |
| VIGIE_SNAPSHOT_KEEP   | 1 day   | how far back a lake keeps its snapshots (time travel)          |
"""

from __future__ import annotations

import logging
import os
import threading

from vigie.config import Settings
from vigie.store import Store

log = logging.getLogger(__name__)


class Compactor:
    def __init__(self, store: Store, interval: float, keep: str):
        self.store = store
        self.interval = interval
        self.keep = keep
        self.passes = 0
        self.last = None  # what the latest pass did (vigie.store.Store.compact)
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vigie-compact", daemon=True)

    def start(self) -> "Compactor":
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def run_once(self):
        self.last = self.store.compact(self.keep)
        self.passes += 1
        log.info("compaction: %s", self.last)
        return self.last

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - the next pass tries again
                log.exception("compaction failed")
                self.last_error = str(exc)


def start(store: Store, settings: Settings | None = None) -> Compactor | None:
    try:
        minutes = float(os.environ.get("VIGIE_COMPACT_MINUTES", "60"))
    except ValueError:
        log.warning("VIGIE_COMPACT_MINUTES is not a number; 60 used")
        minutes = 60.0
    if minutes <= 0:
        return None
    return Compactor(store, minutes * 60, os.environ.get("VIGIE_SNAPSHOT_KEEP", "1 day")).start()
