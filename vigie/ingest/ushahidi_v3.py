"""Ushahidi Platform v3 posts API (`GET /api/v3/posts`): `{"count": n, "results": [post, …], …}`.

A v3 post keeps its survey answers in `values`, an object keyed by each field's attribute key
(`"commune": ["Cotonou"]`, `"location_default": [{"lat": 6.36, "lon": 2.42}]`): every value is a
list, `[]` when the field was left empty, and `values` itself is `[]` (PHP's empty array) when the
post has no answer at all. `tags` and tag fields hold tag ids (`[3, 4]` or `[{"id": 3, "url": …}]`);
the page does not name them, so ids land in `autre` with the ids kept in raw, unless a value is
already a name Vigie knows. Each post is flattened into the row the CSV export would give and read
by the same mapping as `vigie.ingest.ushahidi` (see its table).

| Vigie field | v3 post |
|---|---|
| source_ref | `id` |
| occurred_at | the value keyed like an incident date (`date_incident`, `incident_date`, `date`…), else `post_date` (v3 writes it with its zone: `2023-01-05T08:40:00+00:00`) |
| reported_at | `created` |
| lat / lon | the first value shaped `{lat, lon}` (also `{"value": {lat, lon}}`) |
| commune / place / severity / language / reporter_* | values keyed `commune`, `lieu`/`localite`/`quartier`…, `gravite`/`severity`, `langue`, `nom`, `telephone`, `email` |
| category | values keyed `categories`/`categorie`/`type`…, else the post's `tags` |
| description | `title` — `content` |
"""

from __future__ import annotations

import json

import pandas as pd

from vigie.ingest import ushahidi
from vigie.ingest.feedtools import json_objects, load_json
from vigie.ingest.records import FeedError, Parsed, decode
from vigie.text import match_key

# attribute key (match key, '_' for spaces) -> the export's column label for that survey field
KEY_LABELS: dict[str, str] = {}
for label, keys in {
    "Date de l'incident": ("date_incident", "date_de_l_incident", "incident_date", "date_of_incident", "event_date",
                           "date_evenement", "date"),
    "Commune": ("commune", "municipality", "nom_commune"),
    "Lieu": ("lieu", "localite", "quartier", "village", "arrondissement", "adresse", "location_name", "place",
             "last_location"),
    "Catégories": ("categories", "categorie", "category", "type_incident", "incident_type", "type"),
    "Gravité": ("gravite", "severity", "niveau_de_gravite"),
    "Langue": ("langue", "language"),
    "Nom": ("nom", "name", "full_name", "nom_du_rapporteur"),
    "Téléphone": ("telephone", "phone", "phone_number"),
    "E-mail": ("email", "e_mail", "courriel"),
}.items():
    for key in keys:
        KEY_LABELS[key] = label


def is_v3_payload(obj: object) -> bool:
    posts = obj.get("results") if isinstance(obj, dict) else None
    first = next((p for p in posts or [] if isinstance(p, dict)), None) if isinstance(posts, list) else None
    return first is not None and "values" in first and ("form" in first or "post_date" in first)


def read(payload: object) -> Parsed:
    if isinstance(payload, bytes):
        payload = decode(payload)
    if isinstance(payload, str):
        payload = load_json(payload.lstrip("\ufeff"))
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise FeedError("réponse de l'API Ushahidi v3 sans liste « results »", "results")
    items = payload["results"]
    posts, rejections = json_objects(items)
    rows = [_flatten(post) for _, post in posts]
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row if k not in header)
    table = [[row.get(col) for col in header] for row in rows]
    records = ushahidi._records(header, table, [pos for pos, _ in posts])
    raw = pd.Series([json.dumps(post, ensure_ascii=False) for _, post in posts], dtype=object)
    return Parsed("ushahidi-v3-api", records, raw, len(items), rejections)


def _point(value: object) -> dict | None:
    if isinstance(value, dict) and isinstance(value.get("value"), dict):
        value = value["value"]
    if isinstance(value, dict) and {"lat", "lon"} <= set(value):
        return value
    return None


def _tag_ids(tags: object) -> list[str]:
    out = []
    for tag in tags if isinstance(tags, list) else []:
        tag = tag.get("id") if isinstance(tag, dict) else tag
        if tag is not None and str(tag).strip():
            out.append(str(tag))
    return out


def _flatten(post: dict) -> dict[str, object]:
    form = post.get("form")
    row: dict[str, object] = {
        "Post ID": post.get("id"),
        "Survey": form.get("id") if isinstance(form, dict) else form,
        "Post Status": post.get("status"),
        "Created (UTC)": post.get("created"),
        "Post Date (UTC)": post.get("post_date"),
        "Title": post.get("title"),
        "Description": post.get("content"),
    }
    if post.get("author_realname"):
        row["Nom"] = post["author_realname"]
    if post.get("author_email"):
        row["E-mail"] = post["author_email"]
    values = post.get("values") if isinstance(post.get("values"), dict) else {}  # `[]` when empty
    for key, value in values.items():
        items = value if isinstance(value, list) else [value]
        items = [v for v in items if v not in (None, "")]
        if not items:
            continue
        point = _point(items[0])
        if point is not None:
            row.setdefault("location.lat", point.get("lat"))
            row.setdefault("location.lon", point.get("lon"))
            continue
        items = [v.get("value") if isinstance(v, dict) and "value" in v else v for v in items]
        label = KEY_LABELS.get(match_key(key).replace(" ", "_"), key)
        row.setdefault(label, ", ".join(str(v) for v in items))
    if "Catégories" not in row and _tag_ids(post.get("tags")):
        row["Catégories"] = ", ".join(_tag_ids(post.get("tags")))
    return row


__all__ = ["is_v3_payload", "read", "KEY_LABELS"]
