"""Compaction as a service of the writer (vigie/maintenance.py), on the single-file backend (the lake's is
in tests/test_lake.py): a pass keeps every row, and the service follows VIGIE_COMPACT_MINUTES."""

from __future__ import annotations

from tests.conftest import count_rows
from vigie import maintenance


def test_a_pass_keeps_every_row(fixture_store):
    before = {t: count_rows(fixture_store, t) for t in ("reports", "incidents", "status_events")}
    compactor = maintenance.Compactor(fixture_store, interval=3600, keep="1 day")
    compactor.run_once()
    assert compactor.passes == 1
    assert {t: count_rows(fixture_store, t) for t in before} == before


def test_the_service_follows_its_setting(store, settings, monkeypatch):
    monkeypatch.setenv("VIGIE_COMPACT_MINUTES", "0")
    assert maintenance.start(store, settings) is None
    monkeypatch.setenv("VIGIE_COMPACT_MINUTES", "0.001")
    service = maintenance.start(store, settings)
    try:
        import time

        deadline = time.monotonic() + 10
        while service.passes == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.passes >= 1 and service.last_error is None
    finally:
        service.stop()
