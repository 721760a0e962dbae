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
