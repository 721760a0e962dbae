"""KoBoToolbox and ODK Central submissions: KoBo API v2 JSON, KoBo and ODK Central CSV exports.

Formats read:

- **KoBo API v2 JSON** (`GET /api/v2/assets/<uid>/data/?format=json`): `{"count", "next", "results": [...]}`,
  or the bare list. Each submission is flat, questions keyed by their path `group/question`, with
  `_id`, `_uuid`, `_xform_id_string`, `_submission_time` (UTC, written without zone) and
  `_geolocation` `[lat, lon]`. Nested objects are flattened to `group/question` too.
- **KoBo CSV export** (`;`-separated, "XML values and headers" or labels): the same columns; a
  geopoint also gives `_<path>_latitude` / `_<path>_longitude`; an HXL row under the header is skipped.
- **ODK Central CSV export**: `SubmissionDate` (UTC with `Z`), questions as `group-question`, a
  geopoint as `<path>-Latitude` / `<path>-Longitude`, then `meta-instanceID`, `KEY`, `SubmitterName`,
  `ReviewState`…
- **ODK Central OData JSON** (`{"value": [...]}` with `__id`, `__system.submissionDate`, GeoJSON points).
- **XML instances** (ODK Collect, Enketo, KoBo's `data.xml`, ODK Briefcase / Aggregate): read by
  `vigie.ingest.xmlfeeds`, which turns each instance into the same `group/question` dict and calls
  `parse_rows`, so the same mapping applies.

Form field names vary, so a **mapping file** per form (TOML, in `data/feeds/kobo/`, or the folder named
by `VIGIE_KOBO_MAPPINGS`) says which question is which. Example: `data/feeds/kobo/signalement_incident_2023.toml`.

| key | meaning |
|---|---|
| `form_ids` | ids this mapping applies to: ODK `formId`, KoBo asset uid (= `_xform_id_string`); the file's stem also counts |
| `source` | channel written in `source` (default `kobo`, or `odk` for ODK Central files) |
| `language` | language of the texts (e.g. `fr`) |
| `[fields]` | Vigie field = question path `group/question`, or a list of paths (the first non-empty answer wins), or `""` to ignore a field. Keys: `occurred_at`, `occurred_date` + `occurred_time` (a date and a time question), `reported_at`, `category`, `severity`, `description`, `commune`, `place`, `location` (a geopoint), `lat` + `lon` (two number questions), `reporter_name`, `reporter_phone`, `reporter_contact`, `language`, `source_ref` |
| `select_multiple` | several categories in one answer (`"violence_physique menaces_intimidation"`) or in a repeat group: `"first"` (default) keeps the first choice Vigie knows, in the answer's order; `"priority"` keeps the one whose code comes first in `[categories]` (list the gravest first) |
| `[categories]` | answer (choice name or label) = taxonomy code |
| `[severities]` | answer = level 1–4 |

**Repeat groups.** KoBo gives a repeat as `"grp_repeat": [{"grp_repeat/question": …}, …]` (in XML, the
same element repeated). A mapping names a question inside it by its path like any other,
`grp_repeat/question`; its answers in every repetition are used: `description` and `place` join them
with ` ; `, `severity` keeps the gravest, `category` follows `select_multiple`, any other field takes
the first. `grp_repeat/question[2]` takes the second repetition's answer only.

A path matches a column whatever the group separator (`/`, `-`, `.`), case or accents, and, when the
export left groups out, by its last segment. Fields the mapping does not name are looked for by the
native feed's column names (ALIASES of `vigie.ingest.native`) on the questions' last segment.

The mapping is chosen, in this order, by the inbox source tag (`drop_file(path, source="kobo:<form>")`,
or `odk:<form>`), by the submissions' `_xform_id_string`, by the file's stem; without one the native
names are used alone. A tag naming a form without a mapping file refuses the file with that reason.

| Vigie field | KoBo JSON / CSV | ODK Central CSV |
|---|---|---|
| source | mapping `source`, else `kobo` | mapping `source`, else `odk` |
| source_ref | `meta/rootUuid`, else `_uuid` (without `uuid:`) | `KEY`, else `meta-instanceID` (without `uuid:`) |
| reported_at | `_submission_time` (UTC) | `SubmissionDate` |
| occurred_at | mapped question(s) | idem |
| lat / lon | mapped geopoint (`"lat lon alt précision"`, or its `_latitude`/`_longitude` columns), else `_geolocation` | mapped geopoint's `-Latitude`/`-Longitude`, else the first such pair |
| category, severity | mapped question, through `[categories]` / `[severities]` | idem |
| commune, place, description, reporter_* | mapped questions | idem |
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from vigie.config import ROOT
from vigie.ingest.feedtools import (
    as_text,
    json_objects,
    load_json,
    pick_category,
    utc_text,
)
from vigie.ingest.native import ALIASES as NATIVE_ALIASES
from vigie.ingest.records import (
    FeedError,
    Parsed,
    decode,
    frame_from_columns,
    map_columns,
    read_csv_text,
)
from vigie.taxonomy import CATEGORIES
from vigie.text import match_key

MAPPING_DIR = ROOT / "data" / "feeds" / "kobo"
FIELD_KEYS = (
    "occurred_at", "occurred_date", "occurred_time", "reported_at", "category", "severity", "description",
    "commune", "place", "location", "lat", "lon", "reporter_name", "reporter_phone", "reporter_contact",
    "language", "source_ref",
)
# Fields the native names may fill when the mapping does not name them (never ids, dates of submission
# or coordinates: those have their own columns in these systems).
FALLBACK_FIELDS = ("occurred_at", "commune", "place", "category", "severity", "description", "language",
                   "reporter_name", "reporter_phone", "reporter_contact")
KOBO_META = {"_id", "_uuid", "_submission_time", "_xform_id_string", "_geolocation", "_status", "_tags",
             "_notes", "_attachments", "_validation_status", "_submitted_by", "_index", "__version__",
             "formhub/uuid", "meta/instanceID", "meta/rootUuid", "meta/deprecatedID"}
ODK_META = {"SubmissionDate", "meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
            "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"}
TAG_PREFIXES = ("kobo:", "kobo_", "odk:", "odk_")
SELECT_MULTIPLE_RULES = ("first", "priority")
# Fields whose answers inside a repeat group are all kept (joined); the others take the first answer.
JOINED_FIELDS = ("description", "place")
_INDEXED = re.compile(r"^(?P<path>.+?)\s*\[(?P<n>\d+)\]$")


@dataclass
class Mapping:
    name: str
    form_ids: tuple[str, ...] = ()
    source: str | None = None
    language: str | None = None
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)  # match key of the answer -> taxonomy code
    severities: dict[str, str] = field(default_factory=dict)  # match key of the answer -> "1".."4"
    select_multiple: str = "first"  # several categories answered: "first" given, or "priority" (order of [categories])


NO_MAPPING = Mapping("(noms natifs)")


# -- mapping files --------------------------------------------------------------------------------


def mapping_dirs() -> list[Path]:
    extra = os.environ.get("VIGIE_KOBO_MAPPINGS")
    return ([Path(extra)] if extra else []) + [MAPPING_DIR]


def load_mapping(path: Path) -> Mapping:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FeedError(f"fichier de correspondance KoBo illisible ({path.name}) : {exc}") from exc
    fields: dict[str, tuple[str, ...]] = {}
    for key, value in (data.get("fields") or {}).items():
        if key not in FIELD_KEYS:
            raise FeedError(f"{path.name} : champ inconnu [fields].{key} (attendus : {', '.join(FIELD_KEYS)})")
        paths = (value,) if isinstance(value, str) else tuple(value)
        fields[key] = tuple(p for p in paths if isinstance(p, str) and p.strip())
    categories: dict[str, str] = {}
    for answer, code in (data.get("categories") or {}).items():
        if code not in CATEGORIES:
            raise FeedError(f"{path.name} : [categories] {answer} = {code!r} n'est pas un code de la taxonomie")
        categories[match_key(answer)] = code
    severities: dict[str, str] = {}
    for answer, level in (data.get("severities") or {}).items():
        if str(level) not in {"1", "2", "3", "4"}:
            raise FeedError(f"{path.name} : [severities] {answer} = {level!r} (niveau de 1 à 4 attendu)")
        severities[match_key(answer)] = str(level)
    rule = data.get("select_multiple", "first")
    if rule not in SELECT_MULTIPLE_RULES:
        raise FeedError(f"{path.name} : select_multiple = {rule!r} (attendu : {' ou '.join(SELECT_MULTIPLE_RULES)})")
    ids = data.get("form_ids") or ([data["form_id"]] if data.get("form_id") else [])
    return Mapping(path.stem, tuple(str(i) for i in ids), data.get("source"), data.get("language"),
                   fields, categories, severities, rule)


def find_mapping(form: str | None = None, xform_ids: set[str] | None = None, file_name: str = "") -> Mapping | None:
    """The mapping for a form named by the inbox tag, by the submissions' ids, or by the file name."""
    mappings = [load_mapping(p) for d in mapping_dirs() if d.is_dir() for p in sorted(d.glob("*.toml"))]

    def named(ident: str) -> Mapping | None:
        key = ident.lower()
        return next((m for m in mappings if key == m.name.lower() or key in map(str.lower, m.form_ids)), None)

    if form:
        return named(form)
    for ident in sorted(xform_ids or ()):
        if (found := named(ident)) is not None:
            return found
    stem = Path(file_name).name.split(".")[0]
    return named(stem) if stem else None


def form_from_tag(source_tag: str | None) -> str | None:
    """`kobo:<form>` (written `kobo_<form>` in inbox file names) → `<form>`."""
    if not source_tag:
        return None
    for prefix in TAG_PREFIXES:
        if source_tag.lower().startswith(prefix) and len(source_tag) > len(prefix):
            return source_tag[len(prefix):]
    return None


def is_kobo_tag(source_tag: str | None) -> bool:
    return form_from_tag(source_tag) is not None


# -- detection ------------------------------------------------------------------------------------


def is_odk_header(header: list[str]) -> bool:
    names = set(header)
    return "SubmissionDate" in names and bool({"meta-instanceID", "KEY"} & names)


def is_kobo_header(header: list[str]) -> bool:
    return bool({"_submission_time", "_uuid"} & {h.strip() for h in header})


def is_kobo_json(obj: object) -> bool:
    return bool(_submissions(obj, strict=True))


# -- parsing --------------------------------------------------------------------------------------


def parse(data: bytes, name: str = "", source_tag: str | None = None, mapping: Mapping | None = None) -> Parsed:
    text = decode(data)
    if text.lstrip("\ufeff \r\n\t")[:1] in ("{", "["):
        return parse_json(text, name, source_tag, mapping)
    return parse_csv(text, name, source_tag, mapping)


def parse_json(text: str, name: str = "", source_tag: str | None = None, mapping: Mapping | None = None) -> Parsed:
    return parse_document(load_json(text.lstrip("\ufeff")), name, source_tag, mapping)


def parse_document(obj: object, name: str = "", source_tag: str | None = None,
                   mapping: Mapping | None = None) -> Parsed:
    """Submissions already read from JSON: a KoBo page, a list of submissions, or an OData `value` list."""
    items = _submissions(obj, strict=False)
    if items is None:
        raise FeedError("JSON KoBo/ODK sans liste de soumissions (« results » ou « value » attendu)", "results")
    odata = isinstance(obj, dict) and isinstance(obj.get("value"), list)
    subs, rejections = json_objects(items)
    rows = [_flatten(sub) for _, sub in subs]
    xform_ids = {str(r["_xform_id_string"]) for r in rows if r.get("_xform_id_string")}
    kind = "odk" if odata else "kobo"
    mapping = mapping or _choose(source_tag, xform_ids, name)
    records = _records(rows, [pos for pos, _ in subs], mapping, kind)
    raw = pd.Series([json.dumps(sub, ensure_ascii=False) for _, sub in subs], dtype=object)
    return Parsed(f"{kind}-json", records, raw, len(items), rejections)


def parse_csv(text: str, name: str = "", source_tag: str | None = None, mapping: Mapping | None = None) -> Parsed:
    header, rows, lines, rejections = read_csv_text(text)
    if rows and lines[0] == 2 and all(c.strip().startswith("#") for c in rows[0] if c.strip()):
        rows, lines = rows[1:], lines[1:]  # KoBo's HXL row
    received = len(rows) + len(rejections)
    kind = "odk" if is_odk_header(header) else "kobo"
    dicts = [dict(zip(header, row)) for row in rows]
    mapping = mapping or _choose(source_tag, set(), name)
    records = _records(dicts, lines, mapping, kind)
    raw = pd.DataFrame(rows, columns=header, dtype=object) if header else pd.DataFrame()
    return Parsed(f"{kind}-csv", records, raw, received, rejections)


def parse_rows(rows: list[dict], positions: list[int], raw: pd.Series, received: int, rejections: list,
               *, name: str = "", source_tag: str | None = None, kind: str = "kobo", shape: str = "xml") -> Parsed:
    """Submissions another reader has already flattened to `group/question` keys (XML instances)."""
    xform_ids = {str(r["_xform_id_string"]) for r in rows if r.get("_xform_id_string")}
    mapping = _choose(source_tag, xform_ids, name)
    return Parsed(f"{kind}-{shape}", _records(rows, positions, mapping, kind), raw, received, rejections)


def _choose(source_tag: str | None, xform_ids: set[str], name: str) -> Mapping:
    form = form_from_tag(source_tag)
    found = find_mapping(form, xform_ids, name)
    if found is None and form:
        where = ", ".join(str(d) for d in mapping_dirs())
        raise FeedError(f"aucun fichier de correspondance pour le formulaire « {form} » (cherché dans {where})",
                        "source")
    return found or NO_MAPPING


def _submissions(obj: object, strict: bool) -> list | None:
    if isinstance(obj, dict):
        if isinstance(obj.get("results"), list):
            items = obj["results"]
        elif isinstance(obj.get("value"), list):
            items = obj["value"]
        elif "_uuid" in obj or "_submission_time" in obj:
            items = [obj]
        else:
            return None
    elif isinstance(obj, list):
        items = obj
    else:
        return None
    if strict:
        first = next((i for i in items if isinstance(i, dict)), None)
        if first is None or not ({"_submission_time", "_uuid", "_xform_id_string", "__id"} & set(first)):
            return None
    return items


def _flatten(obj: dict, prefix: str = "") -> dict[str, object]:
    """`{"lieu": {"commune": …}}` → `{"lieu/commune": …}`; GeoJSON points and lists stay values."""
    out: dict[str, object] = {}
    for key, value in obj.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and not ("coordinates" in value and "type" in value):
            out.update(_flatten(value, f"{path}/"))
        else:
            out[path] = value
    return out


# -- mapping submissions to records ---------------------------------------------------------------


class _Columns:
    """Finds the column of a question path whatever the group separator, case or accents."""

    def __init__(self, columns: list[str]):
        self.exact: dict[str, str] = {}
        self.last: dict[str, str] = {}
        for col in columns:
            self.exact.setdefault(match_key(col), col)
            tail = col.replace("-", "/").split("/")[-1]
            self.last.setdefault(match_key(tail), col)

    def find(self, path: str) -> str | None:
        key = match_key(path)
        if key in self.exact:
            return self.exact[key]
        # The export may have left the groups out, or the mapping may name the question alone.
        return self.last.get(match_key(path.replace("-", "/").split("/")[-1]))


def _records(rows: list[dict], lines: list[int], mapping: Mapping, kind: str) -> pd.DataFrame:
    n = len(rows)
    if not n:
        return frame_from_columns({}, 0, [])
    rows = [_expand_repeats(row) for row in rows]
    names: list[str] = []
    seen: set[str] = set()
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                names.append(key)
    cols = _Columns(names)

    fields = dict(mapping.fields)
    _fill_from_native_names(fields, names)

    def answers(key: str) -> list[list[str]]:
        paths = fields.get(key)
        return [_answers(row, paths, cols) for row in rows] if paths else [[] for _ in rows]

    def values(key: str) -> list[str | None]:
        if key in JOINED_FIELDS:  # every witness's account, every place named in a repeat group
            return [" ; ".join(dict.fromkeys(found)) or None for found in answers(key)]
        return [found[0] if found else None for found in answers(key)]

    occurred = values("occurred_at")
    if fields.get("occurred_date"):
        dates, times = values("occurred_date"), values("occurred_time")
        occurred = [o or (f"{d[:10]}T{t}" if d and t else d) for o, d, t in zip(occurred, dates, times)]

    reported = values("reported_at")
    default_reported = [_submission_time(row) for row in rows]
    reported = [r or d for r, d in zip(reported, default_reported)]

    refs = values("source_ref")
    refs = [_strip_uuid(r) if r else _instance_id(row) for r, row in zip(refs, rows)]

    lat, lon = _coordinates(rows, fields, cols)

    category = [_category(found, mapping) for found in answers("category")]
    severity = [_gravest(found, mapping) for found in answers("severity")]
    language = [v or mapping.language for v in values("language")]
    source = mapping.source or kind

    columns = {
        "source": [source] * n,
        "source_ref": refs,
        "occurred_at": occurred,
        "reported_at": reported,
        "lat": lat,
        "lon": lon,
        "commune": values("commune"),
        "place": values("place"),
        "category": category,
        "severity": severity,
        "description": values("description"),
        "language": language,
        "reporter_name": values("reporter_name"),
        "reporter_phone": values("reporter_phone"),
        "reporter_contact": values("reporter_contact"),
    }
    return frame_from_columns(columns, n, lines)


# -- repeat groups and select_multiple ------------------------------------------------------------


class _Answers(list):
    """Every answer to one question inside a repeat group, instance after instance (None where skipped)."""


def _is_repeat(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _expand_repeats(row: dict) -> dict:
    """KoBo gives a repeat group as `"grp/rep": [{"grp/rep/q": …}, …]`: each question inside becomes a
    column `grp/rep/q` holding all its answers, so a mapping names it like any other question."""
    out = dict(row)
    for key, value in row.items():
        if _is_repeat(value):
            for path, found in _repeat_answers(key, value).items():
                out.setdefault(path, found)
    return out


def _repeat_answers(key: str, instances: list[dict]) -> dict[str, _Answers]:
    found: dict[str, _Answers] = {}
    for i, instance in enumerate(instances):
        for inner, value in _flatten(instance).items():
            path = inner if inner.startswith(f"{key}/") else f"{key}/{inner}"  # KoBo writes full paths
            if _is_repeat(value):  # a repeat inside a repeat: its answers in document order
                for deeper, answers in _repeat_answers(path, value).items():
                    found.setdefault(deeper, _Answers()).extend(answers)
            else:
                slots = found.setdefault(path, _Answers([None] * len(instances)))
                if i < len(slots):
                    slots[i] = value
    return found


def _answers(row: dict, paths: tuple[str, ...], cols: _Columns) -> list[str]:
    """The non-empty answers of the first path that has any: one for a plain question, all instances'
    for a question inside a repeat group, or the n-th instance's for `path[n]`."""
    for path in paths:
        index = None
        if (indexed := _INDEXED.match(path)) is not None:
            path, index = indexed["path"], int(indexed["n"])
        col = cols.find(path)
        value = row.get(col) if col else None
        if isinstance(value, _Answers):
            items = list(value) if index is None else value[index - 1: index]
        else:
            items = [value] if index in (None, 1) else []
        texts = [t for t in (as_text(v) for v in items) if t and t.strip()]
        if texts:
            return texts
    return []


def _category(found: list[str], mapping: Mapping) -> str | None:
    """select_multiple answers "a b c" (and a repeat's several answers): each choice is mapped; the
    mapping's `select_multiple` rule says which wins — "first": the first choice Vigie knows, in the
    order given; "priority": the one whose code comes first in `[categories]` (list the gravest first).
    Nothing known: the first answer as given (normalize files it under 'autre' with a flag)."""
    if not found:
        return None
    candidates = [part for answer in found for part in (answer, *answer.split())]
    if mapping.select_multiple == "priority":
        order = list(dict.fromkeys(mapping.categories.values()))
        codes = [code for c in candidates if (code := pick_category([c], mapping.categories)) in CATEGORIES]
        if codes:
            return min(codes, key=lambda code: order.index(code) if code in order else len(order))
    return pick_category(candidates, mapping.categories)


def _gravest(found: list[str], mapping: Mapping) -> str | None:
    """Severity through `[severities]`; several answers (a repeat, select_multiple): the gravest level."""
    levels = [mapping.severities.get(match_key(answer), answer) for answer in found]
    numeric = [level for level in levels if level in ("1", "2", "3", "4")]
    return max(numeric) if numeric else (levels[0] if levels else None)


def _fill_from_native_names(fields: dict[str, tuple[str, ...]], names: list[str]) -> None:
    questions = [c for c in names if c not in KOBO_META and c not in ODK_META and not c.startswith("_")]
    tails = {c.replace("-", "/").split("/")[-1]: c for c in reversed(questions)}
    found = map_columns(list(tails), {f: NATIVE_ALIASES[f] for f in FALLBACK_FIELDS})
    if "occurred_date" in fields:
        found.pop("occurred_at", None)  # the mapping gives the date (and time) by other questions
    for field_name, tail in found.items():
        if field_name not in fields:  # an empty list in the mapping ("") switches the field off
            fields[field_name] = (tails[tail],)


def _submission_time(row: dict) -> str | None:
    for key in ("_submission_time", "SubmissionDate", "__system/submissionDate"):
        value = as_text(row.get(key))
        if value:
            return utc_text(value)  # KoBo writes UTC without a zone; ODK adds Z itself
    return None


def _instance_id(row: dict) -> str | None:
    for key in ("meta/rootUuid", "_uuid", "KEY", "meta-instanceID", "__id", "meta/instanceID"):
        value = as_text(row.get(key))
        if value:
            return _strip_uuid(value)
    return None


def _strip_uuid(value: str) -> str:
    value = value.strip()
    return value[5:] if value.lower().startswith("uuid:") else value


def _coordinates(rows: list[dict], fields: dict, cols: _Columns) -> tuple[list, list]:
    n = len(rows)
    if fields.get("lat") and fields.get("lon"):
        lat_cols = [cols.find(p) for p in fields["lat"]]
        lon_cols = [cols.find(p) for p in fields["lon"]]
        return ([_first_value(r, lat_cols) for r in rows], [_first_value(r, lon_cols) for r in rows])
    points = fields.get("location") or ()
    pairs = [(cols.find(f"{p} latitude") or cols.find(f"_{p}_latitude"),
              cols.find(f"{p} longitude") or cols.find(f"_{p}_longitude"), cols.find(p)) for p in points]
    if not points:
        pair = _first_latlon_pair(cols)
        pairs = [(pair[0], pair[1], None)] if pair else []
    lat: list = [None] * n
    lon: list = [None] * n
    for i, row in enumerate(rows):
        for lat_col, lon_col, whole in pairs:
            la = as_text(row.get(lat_col)) if lat_col else None
            lo = as_text(row.get(lon_col)) if lon_col else None
            if not (la and lo) and whole:
                la, lo = _geopoint(row.get(whole))
            if la and lo:
                lat[i], lon[i] = la, lo
                break
        else:
            lat[i], lon[i] = _geopoint(row.get("_geolocation"))
    return lat, lon


def _first_value(row: dict, columns: list[str | None]) -> str | None:
    for col in columns:
        value = as_text(row.get(col)) if col else None
        if value:
            return value
    return None


def _first_latlon_pair(cols: _Columns) -> tuple[str, str] | None:
    for key, col in cols.exact.items():
        if key.endswith(" latitude"):
            partner = cols.exact.get(key[: -len("latitude")] + "longitude")
            if partner:
                return col, partner
    return None


def _geopoint(value: object) -> tuple[str | None, str | None]:
    """A KoBo/ODK geopoint: "lat lon [alt [accuracy]]", [lat, lon] (`_geolocation`), or a GeoJSON point."""
    if value is None:
        return None, None
    if isinstance(value, dict) and isinstance(value.get("coordinates"), list):
        coords = value["coordinates"]
        return (as_text(coords[1]), as_text(coords[0])) if len(coords) >= 2 else (None, None)
    if isinstance(value, list):
        return (as_text(value[0]), as_text(value[1])) if len(value) >= 2 else (None, None)
    parts = str(value).split()
    return (parts[0], parts[1]) if len(parts) >= 2 else (None, None)


__all__ = [
    "Mapping", "find_mapping", "load_mapping", "form_from_tag", "is_kobo_tag", "is_odk_header", "is_kobo_header",
    "is_kobo_json", "parse", "parse_json", "parse_document", "parse_csv", "parse_rows",
]
