"""Aggie (TID-Lab's social-media monitoring tool): its reports, as CSV or as the JSON it exports them from.

Aggie's report model (`models/report.js`) has `authoredAt`, `fetchedAt`, `storedAt`, `content`,
`author`, `url`, `_source`, `_media`, `_sourceNickname`, `_incident`, `read`, `flagged` (later
versions add `tags`, `smtcTags`, `veracity`, `notes`). Its export endpoint `GET /api/csv` answers
`{"reports": [...]}` with those objects and the web client writes them as CSV with the same column
names; both are read here. Aggie stores dates as UTC (`2023-01-05T08:40:00.000Z`); a zone-less
`2023-01-05 08:40:00` is read as UTC too.

| Vigie field | Aggie report |
|---|---|
| source / source_ref | `aggie` / `_id` (else `url`) |
| occurred_at | `authoredAt` (when the post was written) |
| reported_at | `fetchedAt`, else `storedAt` |
| category | `tags` / `smtcTags`: the first value Vigie knows, else the first |
| description | `content` |
| reporter_name | `author` (a social-media handle, kept as the reporter's name) |
| reporter_contact | `url` (the post's link, http(s) only) |

Aggie reports carry no place of their own: the commune comes from the text when normalize can find
one. Aggie's incidents (groups of reports) have no CSV export in its server code, so only reports
are read.
"""

from __future__ import annotations

import json

import pandas as pd

from vigie.ingest.feedtools import as_text, json_objects, pick_category, split_multi, utc_text
from vigie.ingest.records import Parsed, Rejection, frame_from_columns, read_csv_text

SOURCE = "aggie"
_KEY_COLUMNS = {"authoredat", "content"}
_ONE_OF = {"fetchedat", "storedat", "_media", "_sourcenickname", "_source", "url", "author"}


def is_aggie_header(header: list[str]) -> bool:
    keys = {h.strip().lower() for h in header}
    return _KEY_COLUMNS <= keys and bool(keys & _ONE_OF)


def is_aggie_json(doc: object) -> bool:
    items = doc.get("reports") if isinstance(doc, dict) else None
    first = next((i for i in items or [] if isinstance(i, dict)), None) if isinstance(items, list) else None
    return first is not None and "authoredAt" in first and "content" in first


def parse_csv(text: str) -> Parsed:
    header, rows, lines, rejections = read_csv_text(text)
    lower = [h.strip().lower() for h in header]
    records = [{name: (row[i] if i < len(row) else None) for i, name in enumerate(lower)} for row in rows]
    raw = pd.DataFrame(rows, columns=header, dtype=object) if header else pd.DataFrame()
    return _parsed("aggie-csv", records, lines, raw, len(rows) + len(rejections), rejections)


def read_json(doc: dict) -> Parsed:
    items = doc.get("reports") or []
    objects, rejections = json_objects(items)
    records = [{k.lower(): v for k, v in obj.items()} for _, obj in objects]
    raw = pd.Series([json.dumps(obj, ensure_ascii=False) for _, obj in objects], dtype=object)
    return _parsed("aggie-json", records, [p for p, _ in objects], raw, len(items), rejections)


def _tags(value: object) -> list[str]:
    if isinstance(value, list):
        return [as_text(v.get("name") if isinstance(v, dict) else v) or "" for v in value]
    return split_multi(as_text(value))


def _link(value: object) -> str | None:
    text = as_text(value)
    return text if text and text.lower().startswith(("http://", "https://")) else None


def _parsed(fmt: str, records: list[dict], lines: list[int], raw, received: int,
            rejections: list[Rejection]) -> Parsed:
    n = len(records)
    columns = {
        "source": [SOURCE] * n,
        "source_ref": [as_text(r.get("_id")) or _link(r.get("url")) for r in records],
        "occurred_at": [utc_text(r.get("authoredat")) for r in records],
        "reported_at": [utc_text(r.get("fetchedat")) or utc_text(r.get("storedat")) for r in records],
        "category": [pick_category(_tags(r.get("tags")) + _tags(r.get("smtctags"))) for r in records],
        "description": [as_text(r.get("content")) for r in records],
        "reporter_name": [as_text(r.get("author")) for r in records],
        "reporter_contact": [_link(r.get("url")) for r in records],
    }
    return Parsed(fmt, frame_from_columns(columns, n, lines), raw, received, rejections)


__all__ = ["is_aggie_header", "is_aggie_json", "parse_csv", "read_json", "SOURCE"]
