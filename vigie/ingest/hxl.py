"""HXL-tagged CSV: any CSV whose second row holds HXL hashtags (`#date`, `#adm2`, `#geo+lat`, …).

The Humanitarian Exchange Language puts one hashtag, with optional `+attributes`, under each column
header. The hashtag row is not a record and is not counted. Columns are found by tag, whatever their
header says, so a file in any language (and ACLED exports with their HXL row) read the same way.
A tag matches when its hashtag is the one listed and it carries every listed attribute; the first
column that matches wins (more specific patterns are listed first).

| Vigie field | HXL tags (first match) |
|---|---|
| source_ref | `#event+id`, `#event+code`, `#meta+id`, `#id` |
| occurred_at | `#date+occurred`, `#date+event`, `#date` (a bare date is a local day) |
| reported_at | `#date+reported`, `#date+report` |
| lat / lon | `#geo+lat` / `#geo+lon` |
| commune | `#adm2` (Benin's communes are admin level 2; `+name` or `+code`) |
| (ACLED only) | `#geo+precision` 3: coordinates and commune dropped, `#adm1` (the département) as place, as the ACLED adapter does |
| place | `#loc`, `#adm3`, `#adm4` |
| category | `#event+type+sub`, `#event+type`, `#event+category`, `#sector`, `#crisis+type`: ACLED event types through the ACLED table, other words through the taxonomy |
| severity | `#severity` |
| description | `#description`, `#event+description`, `#meta+description`, `#narrative` |
| reporter_name | `#contact+name` |
| reporter_phone | `#contact+phone` |
| reporter_contact | `#contact+email` |
"""

from __future__ import annotations

import pandas as pd

from vigie.ingest import acled
from vigie.ingest.feedtools import as_text, pick_category, split_multi
from vigie.ingest.records import Parsed, frame_from_columns, read_csv_text

SOURCE = "hxl"

# Vigie field -> HXL patterns (hashtag, required attributes), most specific first.
PATTERNS: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {}


def _patterns(*specs: str) -> tuple[tuple[str, frozenset[str]], ...]:
    out = []
    for spec in specs:
        tag, *attrs = spec.lower().split("+")
        out.append((tag, frozenset(attrs)))
    return tuple(out)


PATTERNS.update({
    "source_ref": _patterns("#event+id", "#event+code", "#meta+id", "#id"),
    "reported_at": _patterns("#date+reported", "#date+report"),
    "occurred_at": _patterns("#date+occurred", "#date+event", "#date+start", "#date"),
    "lat": _patterns("#geo+lat"),
    "lon": _patterns("#geo+lon"),
    "commune": _patterns("#adm2+name", "#adm2"),
    "departement": _patterns("#adm1+name", "#adm1"),
    "place": _patterns("#loc+name", "#loc", "#adm3+name", "#adm3", "#adm4"),
    "category": _patterns("#event+type+sub", "#event+type", "#event+category", "#sector", "#crisis+type"),
    "severity": _patterns("#severity"),
    "description": _patterns("#description", "#event+description", "#meta+description", "#narrative"),
    "reporter_name": _patterns("#contact+name"),
    "reporter_phone": _patterns("#contact+phone"),
    "reporter_contact": _patterns("#contact+email"),
})


def parse_tag(cell: str | None) -> tuple[str, frozenset[str]] | None:
    """`#geo +lat` → ('#geo', {'lat'}); None when the cell is not a hashtag."""
    text = (cell or "").strip().lower().replace(" ", "")
    if not text.startswith("#") or len(text) < 2:
        return None
    tag, *attrs = text.split("+")
    if not (tag[1:2].isalpha() and tag[1:].replace("_", "").isalnum()):  # HXL: a letter, then [a-z0-9_]
        return None
    return tag, frozenset(a for a in attrs if a)


def is_hashtag_row(row: list[str]) -> bool:
    """A row of HXL hashtags: at least one hashtag, and every non-empty cell is one."""
    cells = [c for c in row if c and c.strip()]
    return bool(cells) and all(parse_tag(c) is not None for c in cells)


def second_row(text: str) -> list[str] | None:
    """The second CSV row of a file (None when it has fewer than two rows)."""
    _, rows, lines, _ = read_csv_text("\n".join(text.split("\n", 2)[:2]) + "\n")
    return rows[0] if rows and lines[0] == 2 else None


def is_hxl_text(text: str) -> bool:
    row = second_row(text)
    return row is not None and is_hashtag_row(row)


def column_for(tags: list[tuple[str, frozenset[str]] | None], field: str) -> int | None:
    for tag, attrs in PATTERNS[field]:
        for i, parsed in enumerate(tags):
            if parsed and parsed[0] == tag and attrs <= parsed[1]:
                if field == "occurred_at" and parsed[1] & {"reported", "report", "updated", "end", "year", "month"}:
                    continue
                return i
    return None


def parse_csv(text: str) -> Parsed:
    header, rows, lines, rejections = read_csv_text(text)
    if rows and lines[0] == 2 and is_hashtag_row(rows[0]):
        tags = [parse_tag(c) for c in rows[0]] + [None] * max(0, len(header) - len(rows[0]))
        rows, lines = rows[1:], lines[1:]
    else:
        tags = [None] * len(header)
    n = len(rows)
    raw = pd.DataFrame(rows, columns=header, dtype=object) if header else pd.DataFrame()

    def values(field: str) -> list[str | None]:
        i = column_for(tags, field)
        if i is None:
            return [None] * n
        return [as_text(row[i]) if i < len(row) else None for row in rows]

    is_acled = any(t and t[0] == "#event" and "code" in t[1] for t in tags) or any(
        h.strip().lower() == "event_id_cnty" for h in header)
    source = acled.SOURCE if is_acled else SOURCE
    columns = {field: values(field) for field in PATTERNS if field != "departement"}
    columns["category"] = [_category(v, is_acled) for v in columns["category"]]
    if is_acled:  # ACLED's day-month-year dates and its fatalities, as its own adapter reads them
        i_type = next((i for i, t in enumerate(tags) if t and t[0] == "#event" and t[1] == {"type"}), None)
        types = [row[i_type] if i_type is not None and i_type < len(row) else None for row in rows]
        killed = [row[i] if (i := _tag_index(tags, "#affected", "killed")) is not None and i < len(row) else None
                  for row in rows]
        columns["occurred_at"] = [acled.event_day(v) for v in columns["occurred_at"]]
        columns["severity"] = [acled.severity(t, k) for t, k in zip(types, killed)]
        # geo_precision 3: ACLED put the event on a regional capital; keep only the département
        i_prec = _tag_index(tags, "#geo", "precision")
        i_adm1 = column_for(tags, "departement")
        for j, row in enumerate(rows):
            if i_prec is not None and i_prec < len(row) and row[i_prec].strip() == "3":
                columns["lat"][j] = columns["lon"][j] = columns["commune"][j] = None
                columns["place"][j] = as_text(row[i_adm1]) if i_adm1 is not None and i_adm1 < len(row) else None
    columns["source"] = [source] * n
    return Parsed("hxl-csv", frame_from_columns(columns, n, lines), raw, n + len(rejections), rejections)


def _tag_index(tags: list[tuple[str, frozenset[str]] | None], tag: str, attr: str) -> int | None:
    for i, parsed in enumerate(tags):
        if parsed and parsed[0] == tag and attr in parsed[1]:
            return i
    return None


def _category(value: str | None, is_acled: bool) -> str | None:
    if not value:
        return None
    if is_acled:
        return acled.category(None, value)
    return pick_category(split_multi(value))


__all__ = ["parse_csv", "is_hxl_text", "is_hashtag_row", "parse_tag", "PATTERNS", "SOURCE"]
