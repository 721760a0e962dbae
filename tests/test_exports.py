"""Exports hold what the role may see, and nothing a spreadsheet would execute."""

from __future__ import annotations

import csv
import io
import json

from tests.fixture_data import PII_MARKERS
from vigie import sql
from vigie.exports import to_csv, to_geojson
from vigie.filters import from_query_params


def export_for(store, role):
    params = {**from_query_params({}, store.pack).params(), "q": "", "limit": 50_000, "offset": 0}
    return sql.run(store, role, "incident_search", params).drop(columns=["n_total"])


def test_journalist_export_is_published_commune_level_without_reporters(fixture_store):
    frame = export_for(fixture_store, "journalist")
    published = fixture_store.cursor("operator").execute(
        "select count(*) from incidents where published").fetchone()[0]
    assert len(frame) == published
    text = to_csv(frame).decode("utf-8-sig") + to_geojson(frame).decode()
    for marker in PII_MARKERS:
        assert marker not in text
    assert frame["assigned_unit"].isna().all()
    # Points sit on the commune's own point, never on the reporter's coordinates.
    communes = fixture_store.cursor("journalist").execute("select commune_code, lat, lon from communes").df()
    merged = frame.merge(communes, on="commune_code", suffixes=("", "_commune"))
    assert (merged["lat"] == merged["lat_commune"]).all() and (merged["lon"] == merged["lon_commune"]).all()


def test_csv_defuses_formulas_and_keeps_html_as_text(fixture_store):
    frame = export_for(fixture_store, "operator").head(3).copy()
    frame.loc[frame.index[0], "title"] = "=HYPERLINK(\"http://x\")"
    rows = list(csv.DictReader(io.StringIO(to_csv(frame).decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["title"].startswith("'=")
    geo = json.loads(to_geojson(export_for(fixture_store, "operator")))
    titles = [f["properties"]["title"] for f in geo["features"]]
    assert any(t.startswith("<script>") for t in titles)  # data stays data; renderers escape it
    assert all(f["geometry"] is None or f["geometry"]["type"] == "Point" for f in geo["features"])
