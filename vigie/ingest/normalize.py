"""Validate and type canonical records, once for all feeds, vectorised over the batch.

Each record ends here either typed and located, or rejected with the field and the reason. Warnings
that do not make a record unusable (swapped coordinates, unknown category) are kept as `flags`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vigie.geo import Locator
from vigie.taxonomy import CATEGORY_INDEX, SEVERITY_INDEX
from vigie.text import match_key

MAX_DESCRIPTION = 20_000
MAX_FIELD = 500
# Dates before this are typing errors, not election incidents.
EARLIEST = pd.Timestamp("2000-01-01")
FUTURE_TOLERANCE = pd.Timedelta(hours=2)

_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
# In dates, controls that separate words (FileMaker's line break \x0b, form feed, NEL, U+2028/9) are a space:
# "05/01/2023\x0b10:00" must not become an unreadable "05/01/202310:00".
_SPACING = r"[\x0b\x0c\x1c-\x1f\x85\u2028\u2029]"
# A zone: Z, UTC or GMT, or a numeric offset right after a time ("-2022" in "28-12-2022" is a year, not a zone).
_ZONE = re.compile(r"(?:Z|\s?UTC|\s?GMT|\d:\d{2}(?::\d{2})?(?:[.,]\d+)?\s?[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
NAIVE_FORMATS = (
    "ISO8601",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y",
    "%d/%m/%Y %Hh%M",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d.%m.%Y %H:%M",
    "%d/%m/%y %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
)


@dataclass
class Normalized:
    reports: pd.DataFrame  # typed, located, accepted records (position = index in the input)
    rejected_rows: np.ndarray  # positions in the input
    rejected_field: list[str | None]
    rejected_reason: list[str]


def clean_texts(series: pd.Series, limit: int, spacing: bool = False) -> pd.Series:
    s = series.astype(object).where(series.notna(), None).astype("string")
    if spacing:
        s = s.str.replace(_SPACING, " ", regex=True)
    s = s.str.replace(_CONTROL, "", regex=True).str.strip()
    s = s.str.slice(0, limit)
    keep = (s.notna() & (s != "")).fillna(False).to_numpy(dtype=bool)
    # Missing values must be None, not pd.NA: `if v` and `notna` checks downstream rely on it.
    return pd.Series(np.where(keep, s.to_numpy(dtype=object), None), index=series.index, dtype=object)


def parse_datetimes(values: pd.Series, utc_offset_hours: float) -> pd.Series:
    """Parse dates in the usual formats to naive UTC; NaT where unreadable or missing.

    A value without a zone is local time of the country pack; one with a zone (Z, +01:00, UTC) is
    converted. Ten-digit numbers are Unix seconds.
    """
    s = values.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    present = s.notna() & (s != "")
    if not present.any():
        return out
    epoch = present & s.str.fullmatch(r"\d{10}(\.\d+)?").fillna(False)
    if epoch.any():
        out[epoch] = pd.to_datetime(s[epoch].astype(float), unit="s").astype("datetime64[us]")
    zoned = present & ~epoch & s.str.contains(_ZONE).fillna(False)
    if zoned.any():
        z = s[zoned].str.replace(r"\s?(?:UTC|GMT)$", "+00:00", regex=True, case=False)
        parsed = pd.to_datetime(z, format="ISO8601", utc=True, errors="coerce")
        out[zoned] = parsed.dt.tz_localize(None).astype("datetime64[us]")
    todo = present & ~epoch & ~zoned
    offset = pd.Timedelta(hours=utc_offset_hours)
    for fmt in NAIVE_FORMATS:
        if not todo.any():
            break
        try:
            parsed = pd.to_datetime(s[todo], format=fmt, errors="coerce")
            parsed = parsed.astype("datetime64[us]")
        except (ValueError, TypeError):
            continue  # a zone the pattern missed: those values stay unread (quarantined), the file goes on
        ok = parsed.notna()
        if ok.any():
            idx = ok[ok].index
            out[idx] = (parsed[ok] - offset).astype("datetime64[us]")
            todo[idx] = False
    return out


def parse_coordinates(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(numbers, unreadable mask): decimal commas accepted; blanks are missing, not unreadable."""
    s = values.astype("string").str.strip().str.replace(",", ".", regex=False).str.replace(" ", "", regex=False)
    present = s.notna() & (s != "")
    numbers = pd.to_numeric(s.where(present, None), errors="coerce").astype(float)
    # "nan", "inf" and 1e999 are read as numbers by to_numeric, but are no coordinates.
    unreadable = (present & ~np.isfinite(numbers)).to_numpy(dtype=bool)
    return numbers.to_numpy(dtype=float), unreadable


def _map_unique(values: pd.Series, func) -> pd.Series:
    uniques = {v: func(v) for v in values.dropna().unique()}
    return values.map(uniques)


def normalize(
    records: pd.DataFrame,
    locator: Locator,
    *,
    default_source: str,
    received_at: dt.datetime,
    utc_offset_hours: float,
) -> Normalized:
    n = len(records)
    reasons: dict[int, tuple[str | None, str]] = {}

    def reject(mask: np.ndarray, field: str | None, reason: str) -> None:
        for pos in np.flatnonzero(mask):
            reasons.setdefault(int(pos), (field, reason))

    text = {f: clean_texts(records[f], MAX_FIELD, spacing=f in ("occurred_at", "reported_at")) for f in
            ("source", "source_ref", "commune", "place", "category", "severity", "language",
             "reporter_name", "reporter_phone", "reporter_contact", "occurred_at", "reported_at", "lat", "lon")}
    description = clean_texts(records["description"], MAX_DESCRIPTION)
    long_text = records["description"].astype("string").str.len().fillna(0).to_numpy() > MAX_DESCRIPTION

    # Feeds repeat a handful of channel names: fold each distinct one once.
    source = _map_unique(text["source"], lambda v: match_key(v).replace(" ", "_")[:64] or None)
    source = source.where(source.notna() & (source != ""), default_source)

    occurred = parse_datetimes(text["occurred_at"], utc_offset_hours)
    reported = parse_datetimes(text["reported_at"], utc_offset_hours)
    had_occurred = text["occurred_at"].notna().to_numpy()
    had_reported = text["reported_at"].notna().to_numpy()
    reject(had_occurred & occurred.isna().to_numpy(), "occurred_at",
           "date de l'incident illisible (formats acceptés : AAAA-MM-JJ HH:MM, JJ/MM/AAAA HH:MM, ISO 8601 avec fuseau)")
    reported_bad = had_reported & reported.isna().to_numpy()
    received = pd.Timestamp(received_at)
    occurred = occurred.fillna(reported).fillna(received)
    future = (occurred > received + FUTURE_TOLERANCE).to_numpy()
    reject(future, "occurred_at", "date dans le futur (fuseau horaire ou année erronés ?)")
    reject((occurred < EARLIEST).to_numpy(), "occurred_at", "date antérieure à l'an 2000 : invraisemblable")

    lat, lat_bad = parse_coordinates(text["lat"])
    lon, lon_bad = parse_coordinates(text["lon"])
    reject(lat_bad, "lat", "latitude illisible (nombre attendu, virgule ou point décimal)")
    reject(lon_bad, "lon", "longitude illisible (nombre attendu, virgule ou point décimal)")

    category = _map_unique(text["category"], lambda v: CATEGORY_INDEX.get(match_key(v)))
    unknown_category = (text["category"].notna() & category.isna()).to_numpy()
    category = category.where(~unknown_category, "autre")
    severity = _map_unique(text["severity"], lambda v: SEVERITY_INDEX.get(match_key(v)))
    unknown_severity = (text["severity"].notna() & severity.isna()).to_numpy()

    empty = (description.isna() & text["category"].isna()).to_numpy()
    reject(empty, "description", "enregistrement vide : ni description ni catégorie")

    located = locator.locate(lat, lon, text["commune"], text["place"])

    flags = [[] for _ in range(n)]
    for mask, name in (
        (unknown_category, "categorie_inconnue"),
        (unknown_severity, "gravite_inconnue"),
        (reported_bad, "date_signalement_illisible"),
        (long_text, "description_tronquee"),
        (~had_occurred, "date_incident_absente"),
        (located.precision == "none", "non_localise"),
    ):
        for pos in np.flatnonzero(mask):
            flags[pos].append(name)
    for pos in np.flatnonzero(located.flag != None):  # noqa: E711
        flags[pos].append(located.flag[pos])

    offset = pd.Timedelta(hours=utc_offset_hours)
    source_ref = text["source_ref"]
    reports = pd.DataFrame(
        {
            "source": source.astype(object),
            "source_ref": source_ref,
            "received_at": pd.Series([received] * n, dtype="datetime64[us]"),
            "reported_at": reported.where(reported.notna(), None),
            "occurred_at": occurred.astype("datetime64[us]"),
            "occurred_local": (occurred + offset).astype("datetime64[us]"),
            "lat": located.lat,
            "lon": located.lon,
            "place_text": text["place"].where(text["place"].notna(), text["commune"]),
            "commune_code": located.commune_code,
            "departement_code": located.departement_code,
            "geo_precision": located.precision,
            "category": category.astype(object),
            "severity": pd.array(severity, dtype="Int8"),
            "description": description,
            "language": text["language"],
            "reporter_name": text["reporter_name"],
            "reporter_phone": text["reporter_phone"],
            "reporter_contact": text["reporter_contact"],
            "flags": flags,
            "ref_key": np.where(source_ref.notna(), source.astype(str) + "\x1f" + source_ref.astype(str), None),
        }
    )
    reports.index = range(n)
    rejected = np.array(sorted(reasons), dtype=np.int64)
    keep = np.ones(n, dtype=bool)
    keep[rejected] = False
    return Normalized(
        reports=reports[keep],
        rejected_rows=rejected,
        rejected_field=[reasons[int(p)][0] for p in rejected],
        rejected_reason=[reasons[int(p)][1] for p in rejected],
    )
