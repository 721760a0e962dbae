"""What every feed adapter produces: canonical records as text, plus rejected records with reasons.

Adapters only read their format and map field names; typing, validation and locating are done
once for all feeds in `vigie.ingest.normalize`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import pandas as pd

from vigie.text import match_key

# Canonical fields of a report, as text, before validation.
FIELDS = (
    "source",
    "source_ref",
    "occurred_at",
    "reported_at",
    "lat",
    "lon",
    "commune",
    "place",
    "category",
    "severity",
    "description",
    "language",
    "reporter_name",
    "reporter_phone",
    "reporter_contact",
)


@dataclass
class Rejection:
    line_no: int | None
    field: str | None
    reason: str
    record: str | None


@dataclass
class Parsed:
    """An adapter's output for one file."""

    format: str
    records: pd.DataFrame  # columns: FIELDS (str or None) + line_no (int)
    raw: pd.DataFrame | pd.Series  # original record per row: a frame of original columns, or JSON strings
    received: int  # records received in the file, accepted or not
    rejections: list[Rejection] = field(default_factory=list)


class FeedError(Exception):
    """A whole file cannot be read (wrong format, binary, undecodable)."""

    def __init__(self, reason: str, field: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.field = field


def header_key(name: str) -> str:
    return match_key(name).replace(" ", "_")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1252, else latin-1; binary files are refused."""
    if b"\x00" in data[:8192]:
        raise FeedError("fichier binaire : ce n'est pas un fichier texte (CSV ou JSON)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def sniff_delimiter(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def read_csv_text(text: str) -> tuple[list[str], list[list[str]], list[int], list[Rejection]]:
    """Header, rows of the right width with their line numbers, and rejected rows."""
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line))
    try:
        header = next(reader)
    except StopIteration:
        return [], [], [], []
    except csv.Error as exc:
        raise FeedError(f"en-tête CSV illisible : {exc}") from exc
    header = _unique_names([h.strip() for h in header])
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    rejections: list[Rejection] = []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rejections.append(Rejection(start, None, f"ligne CSV illisible : {exc}", None))
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line: not a record
        if len(row) != width:
            rejections.append(
                Rejection(start, None, f"{len(row)} champs au lieu de {width} (séparateur ou guillemets ?)",
                          _join(row))
            )
            continue
        rows.append(row)
        lines.append(start)
    return header, rows, lines, rejections


def _join(row: list[str]) -> str:
    return ";".join(row)[:10_000]


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        name = name or f"colonne_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def map_columns(columns: list[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Canonical field -> original column, for the first column whose key is one of the field's aliases."""
    keys = {header_key(c): c for c in reversed(columns)}
    mapping: dict[str, str] = {}
    for canonical, names in aliases.items():
        for alias in names:
            if header_key(alias) in keys:
                mapping[canonical] = keys[header_key(alias)]
                break
    return mapping


def frame_from_columns(columns: dict[str, list], n: int, line_no: list[int]) -> pd.DataFrame:
    """A records frame with every canonical field (missing ones are None)."""
    data = {f: columns.get(f, [None] * n) for f in FIELDS}
    frame = pd.DataFrame(data, dtype=object)
    frame["line_no"] = pd.Series(line_no, dtype="int64")
    return frame
