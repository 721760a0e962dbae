"""RapidPro API v2 pages: messages (`GET /api/v2/messages.json`) and flow runs (`GET /api/v2/runs.json`).

Both are pages `{"next": url|null, "previous": url|null, "results": [...]}`; each item of `results`
is one record (the page itself is not). The file is one saved page: the connector or the user
follows `next` and drops each page.

Messages (an item has `urn` and `direction`):

| Vigie field | message |
|---|---|
| source / source_ref | `rapidpro` / `msg:<id>` |
| reported_at | `created_on` (the gateway's own time, UTC with `Z`) |
| commune, category, description | `text`, split like an SMS (`VIO Cotonou texte…`) |
| reporter_phone | `urn` when it is `tel:…` (`whatsapp:` numbers too) |
| reporter_name | `contact.name` |

Outgoing messages (`direction` `out`) are replies of the platform, not reports: quarantined with
that reason. A message without text but with `attachments` is kept, its media noted in the text.

Flow runs (an item has `flow` and `values`): one run is one report; `values` is keyed by the flow's
result names, each `{value, category, time, name, input}`.

| Vigie field | run |
|---|---|
| source / source_ref | `rapidpro` / `run:<uuid>` (else `run:<id>`) |
| occurred_at | result named like the incident date (`date`, `date_incident`, `quand`), else `exited_on`, else `modified_on` |
| reported_at | `created_on` |
| commune / place | result `commune` / `lieu`, `localite`, `quartier`, `village` (its `value`) |
| category | result `categorie`, `type`, `type_incident`: its `category` (the flow's rule category), else its `value` |
| severity | result `gravite` / `severity` |
| description | result `description`, `texte`, `message`, `details` (its `input`, else `value`) |
| reporter_phone / reporter_name | `contact.urn` when `tel:` / `contact.name` |
"""

from __future__ import annotations

import json

import pandas as pd

from vigie.geo import Pack
from vigie.ingest.feedtools import as_text, json_objects, pick_category
from vigie.ingest.records import Parsed, Rejection, frame_from_columns
from vigie.ingest.sms import parse_sms_text
from vigie.text import match_key

SOURCE = "rapidpro"

RESULT_ALIASES: dict[str, tuple[str, ...]] = {
    "occurred_at": ("date", "date_incident", "date_de_l_incident", "incident_date", "quand", "heure"),
    "commune": ("commune", "municipality"),
    "place": ("lieu", "localite", "quartier", "village", "arrondissement", "location", "place"),
    "category": ("categorie", "category", "type", "type_incident", "incident_type"),
    "severity": ("gravite", "severity", "niveau"),
    "description": ("description", "texte", "message", "details", "text", "report"),
}


def _items(doc: object) -> list | None:
    if isinstance(doc, dict) and isinstance(doc.get("results"), list) and ("next" in doc or "previous" in doc):
        return doc["results"]
    return None


def is_messages_page(doc: object) -> bool:
    items = _items(doc)
    first = next((i for i in items or [] if isinstance(i, dict)), None)
    return first is not None and "urn" in first and "direction" in first


def is_runs_page(doc: object) -> bool:
    items = _items(doc)
    first = next((i for i in items or [] if isinstance(i, dict)), None)
    return first is not None and "flow" in first and "values" in first


def is_rapidpro_page(doc: object) -> bool:
    return is_messages_page(doc) or is_runs_page(doc)


def read(doc: dict, pack: Pack | None = None) -> Parsed:
    items = _items(doc) or []
    objects, rejections = json_objects(items)
    if is_messages_page(doc):
        return _messages(objects, rejections, len(items), pack)
    return _runs(objects, rejections, len(items))


def _phone(urn: object) -> str | None:
    text = as_text(urn)
    if text and text.split(":", 1)[0] in ("tel", "whatsapp"):
        number = text.split(":", 1)[1]
        return number if number.startswith("+") else "+" + number
    return None


def _messages(objects: list[tuple[int, dict]], rejections: list[Rejection], received: int, pack) -> Parsed:
    from vigie.ingest.sms import _default_pack  # the pack's place names split the text like an SMS

    names = (pack or _default_pack()).names
    kept: list[tuple[int, dict, str | None]] = []
    for pos, msg in objects:
        if as_text(msg.get("direction")) == "out":
            rejections.append(Rejection(pos, "direction", "message sortant de RapidPro (pas un signalement)",
                                        json.dumps(msg, ensure_ascii=False)[:10_000]))
            continue
        text = as_text(msg.get("text"))
        media = [as_text(a.get("content_type")) or "média" for a in msg.get("attachments") or [] if isinstance(a, dict)]
        if not text and media:
            text = "[" + ", ".join(media) + "]"
        kept.append((pos, msg, text))
    parsed = [parse_sms_text(text, names) for _, _, text in kept]
    n = len(kept)
    contact = [m.get("contact") if isinstance(m.get("contact"), dict) else {} for _, m, _ in kept]
    columns = {
        "source": [SOURCE] * n,
        "source_ref": [f"msg:{m['id']}" if m.get("id") is not None else None for _, m, _ in kept],
        "reported_at": [as_text(m.get("created_on")) for _, m, _ in kept],
        "commune": [p.place for p in parsed],
        "category": [p.category for p in parsed],
        "description": [p.description for p in parsed],
        "reporter_phone": [_phone(m.get("urn")) for _, m, _ in kept],
        "reporter_name": [as_text(c.get("name")) for c in contact],
    }
    raw = pd.Series([json.dumps(m, ensure_ascii=False) for _, m, _ in kept], dtype=object)
    return Parsed("rapidpro-messages", frame_from_columns(columns, n, [p for p, _, _ in kept]), raw, received,
                  rejections)


def _result(values: dict, field: str, part: str = "value") -> str | None:
    by_key = {match_key(k).replace(" ", "_"): v for k, v in values.items() if isinstance(v, dict)}
    for alias in RESULT_ALIASES[field]:
        result = by_key.get(alias)
        if result is not None:
            if part == "category" and as_text(result.get("category")) not in (None, "Other", "All Responses"):
                return as_text(result["category"])
            if part == "input" and as_text(result.get("input")):
                return as_text(result["input"])
            return as_text(result.get("value"))
    return None


def _runs(objects: list[tuple[int, dict]], rejections: list[Rejection], received: int) -> Parsed:
    n = len(objects)
    values = [run.get("values") if isinstance(run.get("values"), dict) else {} for _, run in objects]
    contact = [run.get("contact") if isinstance(run.get("contact"), dict) else {} for _, run in objects]

    def ref(run: dict) -> str | None:
        key = run.get("uuid") or run.get("id")
        return f"run:{key}" if key is not None else None

    columns = {
        "source": [SOURCE] * n,
        "source_ref": [ref(run) for _, run in objects],
        "occurred_at": [_result(v, "occurred_at") or as_text(run.get("exited_on")) or as_text(run.get("modified_on"))
                        for v, (_, run) in zip(values, objects)],
        "reported_at": [as_text(run.get("created_on")) for _, run in objects],
        "commune": [_result(v, "commune") for v in values],
        "place": [_result(v, "place") for v in values],
        "category": [pick_category([_result(v, "category", "category"), _result(v, "category")]) for v in values],
        "severity": [_result(v, "severity") for v in values],
        "description": [_result(v, "description", "input") for v in values],
        "reporter_phone": [_phone(c.get("urn")) for c in contact],
        "reporter_name": [as_text(c.get("name")) for c in contact],
    }
    raw = pd.Series([json.dumps(run, ensure_ascii=False) for _, run in objects], dtype=object)
    return Parsed("rapidpro-runs", frame_from_columns(columns, n, [p for p, _ in objects]), raw, received, rejections)


__all__ = ["is_rapidpro_page", "is_messages_page", "is_runs_page", "read", "SOURCE"]
