"""Validate and type canonical records, once for all feeds, vectorised over the batch.

Each record ends here either typed and located, or rejected with the field and the reason. Warnings
that do not make a record unusable (swapped coordinates, unknown category) are kept as `flags`.

The texts are Arrow arrays from start to end (pyarrow.compute, RE2 patterns): a 100,000-row file never
becomes 100,000 Python strings per column. Names repeated across a file (channels, categories, places)
are folded once per distinct value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vigie.geo import Locator
from vigie.taxonomy import CATEGORY_INDEX, SEVERITY_INDEX
from vigie.text import as_text, match_key

MAX_DESCRIPTION = 20_000
MAX_FIELD = 500
# Dates before this are typing errors, not election incidents.
EARLIEST = pd.Timestamp("2000-01-01")
FUTURE_TOLERANCE = pd.Timedelta(hours=2)

# RE2 patterns (pyarrow.compute).
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
# In dates, controls that separate words (FileMaker's line break \x0b, form feed, NEL, U+2028/9) are a space:
# "05/01/2023\x0b10:00" must not become an unreadable "05/01/202310:00".
_SPACING = r"[\x0b\x0c\x1c-\x1f\x{85}\x{2028}\x{2029}]"
_SPACE = r"[\s\p{Zs}]"  # what Python's \s also matches in a cleaned text (no controls left)
# A zone: Z, UTC or GMT, or a numeric offset right after a time ("-2022" in "28-12-2022" is a year, not a zone).
_ZONE = (rf"(?:Z|{_SPACE}?UTC|{_SPACE}?GMT|\d:\d{{2}}(?::\d{{2}})?(?:[.,]\d+)?{_SPACE}?[+-]\d{{2}}(?::?\d{{2}})?)$")
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
    "%d/%m/%Y %H:%M:%S.%f",
    "%b %d, %Y %I:%M:%S %p",  # ODK Briefcase: "Jan 1, 2018 12:00:00 AM"
    "%b %d, %Y",
)
TEXT_FIELDS = ("source", "source_ref", "commune", "place", "category", "severity", "language", "reporter_name",
               "reporter_phone", "reporter_contact", "occurred_at", "reported_at", "lat", "lon")


@dataclass
class Normalized:
    reports: pa.Table  # typed, located, accepted records, in input order
    rows: np.ndarray  # position in the input of each accepted record
    rejected_rows: np.ndarray  # positions in the input
    rejected_field: list[str | None]
    rejected_reason: list[str]


def clean_texts(values, limit: int, spacing: bool = False) -> pa.StringArray:
    """Control characters out, blanks trimmed, at most `limit` characters; empty texts are null."""
    s = as_text(values)
    if spacing:
        s = pc.replace_substring_regex(s, _SPACING, " ")
    s = pc.utf8_trim_whitespace(pc.replace_substring_regex(s, _CONTROL, ""))
    s = pc.utf8_slice_codeunits(s, 0, limit)
    return pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)


def _series(values: pa.Array) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(values))


def parse_datetimes(values, utc_offset_hours: float) -> pd.Series:
    """Parse dates in the usual formats to naive UTC; NaT where unreadable or missing.

    A value without a zone is local time of the country pack; one with a zone (Z, +01:00, UTC) is
    converted. Ten-digit numbers are Unix seconds.
    """
    s = _series(pc.utf8_trim_whitespace(as_text(values)))
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    present = (s.notna() & (s != "")).fillna(False)
    if not present.any():
        return out
    epoch = present & s.str.fullmatch(r"\d{10}(\.\d+)?").fillna(False)
    if epoch.any():
        out[epoch] = pd.to_datetime(s[epoch].astype(float), unit="s").astype("datetime64[us]")
    zoned = present & ~epoch & pd.Series(pc.match_substring_regex(pa.array(s.array), _ZONE, ignore_case=True)
                                         .to_numpy(zero_copy_only=False), index=s.index).fillna(False).astype(bool)
    if zoned.any():
        z = s[zoned].str.replace(r"\s?(?:UTC|GMT)$", "+00:00", regex=True, case=False)
        parsed = pd.to_datetime(z, format="ISO8601", utc=True, errors="coerce")
        out[zoned] = parsed.dt.tz_localize(None).astype("datetime64[us]")
    todo = (present & ~epoch & ~zoned).to_numpy(dtype=bool)
    offset = pd.Timedelta(hours=utc_offset_hours)
    for fmt in NAIVE_FORMATS:
        if not todo.any():
            break
        positions = np.flatnonzero(todo)
        try:
            parsed = pd.to_datetime(s.iloc[positions], format=fmt, errors="coerce")
            parsed = parsed.astype("datetime64[us]")
        except (ValueError, TypeError):
            continue  # a zone the pattern missed: those values stay unread (quarantined), the file goes on
        ok = parsed.notna().to_numpy()
        if ok.any():
            out.iloc[positions[ok]] = (parsed[ok] - offset).astype("datetime64[us]").to_numpy()
            todo[positions[ok]] = False
    return out


def parse_coordinates(values) -> tuple[np.ndarray, np.ndarray]:
    """(numbers, unreadable mask): decimal commas accepted; blanks are missing, not unreadable."""
    s = pc.utf8_trim_whitespace(as_text(values))
    s = pc.replace_substring(pc.replace_substring(s, ",", "."), " ", "")
    s = pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)
    present = np.asarray(pc.is_valid(s))
    try:
        numbers = pc.cast(s, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # something Arrow does not read: as pandas does
        numbers = pd.to_numeric(_series(s), errors="coerce").astype(float).to_numpy()
    numbers = np.where(present, numbers, np.nan)
    # "nan", "inf" and 1e999 are read as numbers, but are no coordinates.
    unreadable = present & ~np.isfinite(numbers)
    return numbers, unreadable


def map_unique(values: pa.Array, func) -> pa.Array:
    """func applied once per distinct value (feeds repeat a handful of channel, category and place names)."""
    uniques = pc.unique(pc.drop_null(values))
    mapped = pa.array([func(v) for v in uniques.to_pylist()], pa.string())
    return pc.take(mapped, pc.index_in(values, value_set=uniques))


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

    text = {f: clean_texts(records[f], MAX_FIELD, spacing=f in ("occurred_at", "reported_at")) for f in TEXT_FIELDS}
    raw_description = as_text(records["description"])
    description = clean_texts(raw_description, MAX_DESCRIPTION)
    long_text = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(raw_description), MAX_DESCRIPTION), False))

    source = map_unique(text["source"], lambda v: match_key(v).replace(" ", "_")[:64] or None)
    source = pc.fill_null(source, default_source)

    occurred = parse_datetimes(text["occurred_at"], utc_offset_hours)
    reported = parse_datetimes(text["reported_at"], utc_offset_hours)
    had_occurred = np.asarray(pc.is_valid(text["occurred_at"]))
    had_reported = np.asarray(pc.is_valid(text["reported_at"]))
    reject(had_occurred & occurred.isna().to_numpy(), "occurred_at",
           "date de l'incident illisible (formats acceptés : AAAA-MM-JJ HH:MM, JJ/MM/AAAA HH:MM, ISO 8601 avec fuseau)")
    reported_bad = had_reported & reported.isna().to_numpy()
    # A date that cannot be read is never replaced by the time of ingestion: without a readable date of
    # the incident, an unreadable date of the report quarantines the record.
    reject(~had_occurred & reported_bad, "reported_at",
           "date du signalement illisible et pas de date de l'incident : le rapport ne peut être daté")
    received = pd.Timestamp(received_at)
    occurred = occurred.fillna(reported).fillna(received)
    reject((occurred > received + FUTURE_TOLERANCE).to_numpy(), "occurred_at",
           "date dans le futur (fuseau horaire ou année erronés ?)")
    reject((occurred < EARLIEST).to_numpy(), "occurred_at", "date antérieure à l'an 2000 : invraisemblable")

    lat, lat_bad = parse_coordinates(text["lat"])
    lon, lon_bad = parse_coordinates(text["lon"])
    reject(lat_bad, "lat", "latitude illisible (nombre attendu, virgule ou point décimal)")
    reject(lon_bad, "lon", "longitude illisible (nombre attendu, virgule ou point décimal)")

    category = map_unique(text["category"], lambda v: CATEGORY_INDEX.get(match_key(v)))
    unknown_category = np.asarray(pc.and_(pc.is_valid(text["category"]), pc.is_null(category)))
    category = pc.if_else(pa.array(unknown_category), pa.scalar("autre"), category)
    severity = map_unique(text["severity"], lambda v: None if (s := SEVERITY_INDEX.get(match_key(v))) is None else str(s))
    unknown_severity = np.asarray(pc.and_(pc.is_valid(text["severity"]), pc.is_null(severity)))

    # An unknown category value ("Feature", "report": a `type` key of GeoJSON or Ushahidi) says nothing.
    empty = np.asarray(pc.and_(pc.is_null(description), pa.array(unknown_category | np.asarray(
        pc.is_null(text["category"])))))
    reject(empty, "description", "enregistrement vide : ni description ni catégorie reconnue")

    located = locator.locate(lat, lon, text["commune"], text["place"])
    flags = _flags(n, [
        (unknown_category, "categorie_inconnue"),
        (unknown_severity, "gravite_inconnue"),
        (reported_bad, "date_signalement_illisible"),
        (long_text, "description_tronquee"),
        (~had_occurred, "date_incident_absente"),
        (located.precision == "none", "non_localise"),
    ], located.flag)

    source_ref = text["source_ref"]
    offset = pd.Timedelta(hours=utc_offset_hours)
    reports = pa.table({
        "source": source,
        "source_ref": source_ref,
        "received_at": pa.array(np.full(n, received.to_datetime64(), dtype="datetime64[us]")),
        "reported_at": pa.array(reported.to_numpy(dtype="datetime64[us]"), mask=reported.isna().to_numpy()),
        "occurred_at": pa.array(occurred.to_numpy(dtype="datetime64[us]")),
        "occurred_local": pa.array((occurred + offset).to_numpy(dtype="datetime64[us]")),
        "lat": pa.array(located.lat, pa.float64(), from_pandas=True),  # NaN: null
        "lon": pa.array(located.lon, pa.float64(), from_pandas=True),
        "place_text": pc.coalesce(text["place"], text["commune"]),
        "commune_code": pa.array(located.commune_code, pa.string()),
        "departement_code": pa.array(located.departement_code, pa.string()),
        "geo_precision": pa.array(located.precision, pa.string()),
        "category": category,
        "severity": pc.cast(severity, pa.int8()),
        "description": description,
        "language": text["language"],
        "reporter_name": text["reporter_name"],
        "reporter_phone": text["reporter_phone"],
        "reporter_contact": text["reporter_contact"],
        "flags": flags,
        "ref_key": pc.binary_join_element_wise(source, source_ref, "\x1f"),
    })
    rejected = np.array(sorted(reasons), dtype=np.int64)
    keep = np.ones(n, dtype=bool)
    keep[rejected] = False
    rows = np.flatnonzero(keep)
    return Normalized(
        reports=reports.take(pa.array(rows)) if len(rejected) else reports,
        rows=rows,
        rejected_rows=rejected,
        rejected_field=[reasons[int(p)][0] for p in rejected],
        rejected_reason=[reasons[int(p)][1] for p in rejected],
    )


def _flags(n: int, masks: list[tuple[np.ndarray, str]], located_flag: np.ndarray) -> pa.ListArray:
    """Each row's data-quality flags, in the order of `masks`, then the locator's own flag."""
    names = [name for _, name in masks]
    columns = [np.asarray(mask, dtype=bool) for mask, _ in masks]
    for value in sorted({f for f in located_flag if f is not None}):
        names.append(value)
        columns.append(located_flag == value)
    grid = np.column_stack(columns) if columns else np.zeros((n, 0), dtype=bool)
    rows, cols = np.nonzero(grid)  # row-major: by row, then in the order of the names
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=n), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), pc.take(pa.array(names, pa.string()), pa.array(cols)))
