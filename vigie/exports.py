"""Exports of the current filtered view: CSV for spreadsheets and GeoJSON for GIS tools.

Both are built from what the role's query returned, so they can never hold more than the page.
CSV cells that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with a quote.
"""

from __future__ import annotations

import json
import math

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(frame: pd.DataFrame) -> bytes:
    safe = frame.copy()
    for col in safe.columns:
        if pd.api.types.is_object_dtype(safe[col]) or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(_defuse)
    # UTF-8 with BOM and ';' so that French spreadsheet software opens it as is.
    return safe.to_csv(index=False, sep=";").encode("utf-8-sig")


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def to_geojson(frame: pd.DataFrame) -> bytes:
    features = []
    for row in frame.to_dict("records"):
        lat, lon = row.get("lat"), row.get("lon")
        geometry = None
        if lat is not None and lon is not None and not (pd.isna(lat) or pd.isna(lon)):
            geometry = {"type": "Point", "coordinates": [round(float(lon), 5), round(float(lat), 5)]}
        props = {k: _plain(v) for k, v in row.items() if k not in ("lat", "lon")}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode("utf-8")


# -- HXL export (feeds-formats) ---------------------------------------------------------------------
# Column of the incident query -> (header, HXL hashtag). Columns the role's query does not return
# are left out; those it returns empty (a journalist's assigned_unit) stay empty.
HXL_COLUMNS: dict[str, tuple[str, str]] = {
    "incident_id": ("Incident", "#event+id"),
    "occurred_local": ("Date (heure locale)", "#date+occurred"),
    "departement": ("Département", "#adm1+name"),
    "commune_code": ("Code commune", "#adm2+code"),
    "commune": ("Commune", "#adm2+name"),
    "lat": ("Latitude", "#geo+lat"),
    "lon": ("Longitude", "#geo+lon"),
    "geo_precision": ("Précision", "#geo+precision"),
    "category": ("Catégorie", "#event+type"),
    "severity": ("Gravité", "#severity"),
    "status": ("Statut", "#status"),
    "published": ("Publié", "#meta+published"),
    "title": ("Description", "#description"),
    "source": ("Source", "#meta+source"),
    "assigned_unit": ("Unité", "#org+assigned"),
    "n_reports": ("Signalements", "#meta+reports+num"),
    "n_sources": ("Sources", "#meta+sources+num"),
}


def to_hxl(frame: pd.DataFrame) -> bytes:
    """The rows as HXL-tagged CSV: a header row, the hashtag row, then one row per incident.

    UTF-8 and ',' as HXL tools (HXL Proxy, libhxl) expect; cells a spreadsheet would run as a
    formula are defused as in `to_csv`.
    """
    import csv
    import io

    columns = [c for c in HXL_COLUMNS if c in frame.columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([HXL_COLUMNS[c][0] for c in columns])
    writer.writerow([HXL_COLUMNS[c][1] for c in columns])
    for row in frame[columns].itertuples(index=False):
        writer.writerow(["" if (v := _plain(value)) is None else _defuse(_hxl_cell(v)) for value in row])
    return out.getvalue().encode("utf-8")


def _hxl_cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and len(value) >= 19 and value[10] == "T" and value[:4].isdigit():
        return value[:19].replace("T", " ")  # local time without zone: the header says so
    return str(value)
