"""The benchmark harness in smoke mode (2,000 incidents): it runs to the end and fills every section.

Nothing here is timed against the targets: the numbers only have to exist (the machines are noisy, and
`make bench` is where the figures are judged). Keeps `bench/` from rotting as the app changes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--work", str(work)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not (work / "BENCHMARKS.md").exists()
    return json.loads((work / "results-2000-smoke.json").read_text(encoding="utf-8"))


def _numbers(rows: list[dict], *keys: str) -> bool:
    return bool(rows) and all(isinstance(r.get(k), (int, float)) for r in rows for k in keys)


pytestmark = pytest.mark.e2e  # it starts a real server and, when Chromium is there, a browser


def test_smoke_fills_every_section(smoke):
    s = smoke["sections"]
    assert smoke["meta"]["incidents"] == 2000 and smoke["meta"]["smoke"] is True
    assert _numbers([r for r in s["data"]["rows"] if r.get("value") is not None], "value")
    ingest = [r for r in s["ingest"]["rows"] if r.get("unit") == "reports/s"]
    assert _numbers(ingest, "value") and len(ingest) >= 3
    counts = next(r for r in s["ingest"]["rows"] if r["item"].startswith("counts add up"))
    assert counts["ok"] is True, counts["detail"]  # nothing lost, whatever the speed
    assert s["ingest"]["breakdown"]["stages"]
    assert _numbers(s["queries"]["rows"], "median", "p95", "rows")
    assert {r["item"] for r in s["queries"]["rows"]} >= {"map_by_commune", "timeline", "overview_kpis"}
    assert _numbers(s["pages"]["rows"], "cold", "warm")
    assert {r["item"] for r in s["pages"]["rows"]} >= {"pages/overview.py", "pages/map.py", "pages/timeline.py"}
    assert _numbers(s["payload"]["rows"], "bytes", "incidents")
    assert len({r["incidents"] for r in s["payload"]["rows"]}) == 2  # the map at two incident counts
    assert s["naive"]["result"]["median"]["page"] > 0
    assert _numbers([r for r in s["baseline"]["rows"] if r["vigie"] is not None], "naive", "vigie", "ratio")
    report = s["report"]["rows"]  # the daily report's PDF, per role
    assert _numbers(report, "value", "queries", "pages", "bytes") and {r["role"] for r in report} == {"operator", "journalist"}
    assert s["summary"]["rows"]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is missing: no server sections")
def test_smoke_measures_a_real_server(smoke):
    s = smoke["sections"]
    assert _numbers(s["memory"]["rows"], "value")
    assert _numbers(s["browser"]["rows"], "value")
    streaming = {r["item"]: r for r in s["streaming"]["rows"]}
    assert any("committed" in item and "p95" in item for item in streaming)
    assert next(r for r in s["streaming"]["rows"] if r["item"].startswith("streamed reports"))["ok"] is True


def test_markdown_renders_from_the_results(smoke):
    from bench.run import render

    class Saved:
        meta, sections = smoke["meta"], smoke["sections"]

    text = render(Saved())  # type: ignore[arg-type]
    assert text.startswith("# Benchmarks") and "## 8. Naive baseline" in text
    assert "/" + "work" + "/" not in text and str(ROOT) not in text  # no machine paths


def test_smoke_fills_the_ducklake_section(smoke):
    """Section 10: the lake's page queries, bulk ingest, visibility delay and the load test of viewer sessions
    against 1 and 2 replica processes (PostgreSQL started by the bench)."""
    lake = smoke["sections"]["lake"]
    if not lake["rows"]:
        pytest.skip("; ".join(lake["notes"]))
    items = [r["item"] for r in lake["rows"]]
    assert any(i.startswith("query `map_by_commune`") for i in items)
    assert any(i.startswith("visibility delay") for i in items)
    assert all(r["ok"] for r in lake["rows"] if "the same on both backends" in r["item"])
    viewers = [r for r in lake["rows"] if "concurrent viewers" in r["item"]]
    assert {r["item"].rsplit(", ", 1)[1] for r in viewers} == {"1 replica(s)", "2 replica(s)"}
    # Every page a viewer asked for ran to its end without an exception or an error box.
    assert all(" 0 failed" in r["detail"] and "first failure" not in r["detail"] for r in viewers), viewers
    assert all(isinstance(r["value"], float) and 0 < r["value"] < 60 for r in viewers)
    assert any(r["item"].startswith("page p95, 1 replica / 2 replicas") for r in lake["rows"])
