"""Ushahidi Platform: its CSV export, and the posts of its v5 API (`GET /api/v5/posts`).

The CSV export (Settings → Export data) has the native columns `Post ID`, `Survey`, `Post Status`,
`Created (UTC)`, `Updated (UTC)`, `Post Date (UTC)`, `Contact ID`, `Contact`, `Unstructured
Description`, then one column per survey field, headed by the field's label: a location field gives
two columns `<label>.lat` and `<label>.lon`. A second row of HXL hashtags may follow the header; it is
skipped and not counted. Platform dates are UTC written `2023-01-05 14:30:00`: the adapter turns them
into ISO text with `Z`. Survey fields are recognised by their label, in French or English (SURVEY
ALIASES below). The v5 API gives the same post as JSON; `posts_to_records` flattens each post into
the columns the export would have, so both go through one mapping. The older Ushahidi 2.x export
(`#`, `INCIDENT TITLE`, `INCIDENT DATE`, `LATITUDE`, …; dates in the deployment's local time) is read too.

| Vigie field | CSV export | v5 posts API |
|---|---|---|
| source | `ushahidi` | `ushahidi` |
| source_ref | `Post ID` (2.x: `#`) | `id` |
| occurred_at | survey field labelled as the incident date (`Date de l'incident`, `Date`…: with a time it is UTC, a bare date is a local day), else `Post Date (UTC)` | the same survey field, else `post_date` |
| reported_at | `Created (UTC)` | `created` |
| lat / lon | the first `<label>.lat` / `<label>.lon` pair (2.x: `LATITUDE` / `LONGITUDE`) | the first `point` field: `{lat, lon}` |
| commune | field labelled `Commune` | idem |
| place | field labelled `Lieu`, `Localité`, `Quartier`, `Village`, `Arrondissement`, `Adresse` (2.x: `LOCATION`) | idem |
| category | `Catégories` / `Categories`: the first value Vigie knows, else the first value | `tags` field values (names from `categories` or the field's options) |
| severity | field labelled `Gravité` / `Severity` | idem |
| description | `Title` — `Description` (else `Unstructured Description`) | `title` — `content` |
| reporter_phone | `Contact` when it is a phone number; field `Téléphone` | `contact` / `message.contact` when a phone number |
| reporter_contact | `Contact` otherwise (e-mail, Twitter handle) | `contact` otherwise, else `author_email` |
| reporter_name | field labelled `Nom` / `Name` | `author_realname` |

Category names are matched on the taxonomy's codes and labels and on common wordings (feedtools);
a name Vigie does not know is kept as given and becomes `autre` with a flag. Exports of old platform
versions that give category ids instead of names land in `autre` the same way, the ids kept in `raw`.
"""

from __future__ import annotations

import json

import pandas as pd

from vigie.ingest.feedtools import (
    as_text,
    json_objects,
    load_json,
    looks_like_phone,
    pick_category,
    split_multi,
    utc_text,
)
from vigie.ingest.records import (
    FeedError,
    Parsed,
    decode,
    frame_from_columns,
    header_key,
    map_columns,
    read_csv_text,
)

SOURCE = "ushahidi"

# Native columns of the export (platform 3.x to 5.x, and 2.x in upper case).
NATIVE_ALIASES: dict[str, tuple[str, ...]] = {
    "post_id": ("Post ID", "#", "Incident ID"),
    "created": ("Created (UTC)", "Created"),
    "post_date": ("Post Date (UTC)", "Post Date", "INCIDENT DATE"),
    "title": ("Title", "Titre", "INCIDENT TITLE"),
    "content": ("Description", "Unstructured Description"),
    "unstructured": ("Unstructured Description",),
    "contact": ("Contact",),
    "lat": ("LATITUDE",),
    "lon": ("LONGITUDE",),
}

# Survey fields, found by their label (a deployment names them in its own language).
SURVEY_ALIASES: dict[str, tuple[str, ...]] = {
    "incident_date": ("Date de l'incident", "Date et heure de l'incident", "Date de l'événement", "Date des faits",
                      "Incident date", "Date of incident", "Event date", "Date", "Quand"),
    "commune": ("Commune", "Nom de la commune", "Municipality"),
    "place": ("Lieu", "Localité", "Localite", "Quartier", "Village", "Arrondissement", "Adresse", "Nom du lieu",
              "Location name", "Place", "LOCATION"),
    "category": ("Catégories", "Categories", "Catégorie", "Category", "Type d'incident", "Type"),
    "severity": ("Gravité", "Niveau de gravité", "Severity", "Gravite", "Niveau"),
    "language": ("Langue", "Language"),
    "reporter_name": ("Nom", "Nom du rapporteur", "Nom de l'observateur", "Name", "Reporter name"),
    "reporter_phone": ("Téléphone", "Telephone", "Numéro de téléphone", "Phone", "Phone number"),
    "reporter_contact": ("E-mail", "Email", "Courriel"),
}

IDENTIFYING_COLUMNS = ("post id", "survey", "post status", "created utc", "post date utc", "unstructured description")


def is_ushahidi_header(header: list[str]) -> bool:
    keys = {header_key(h).replace("_", " ") for h in header}
    if "post id" in keys and len(keys & set(IDENTIFYING_COLUMNS)) >= 2:
        return True
    return {"incident title", "incident date"} <= keys  # Ushahidi 2.x


def is_posts_payload(obj: object) -> bool:
    posts = obj.get("results") if isinstance(obj, dict) else obj
    if isinstance(obj, dict) and "result" in obj and isinstance(obj["result"], dict):
        posts = [obj["result"]]
    if not isinstance(posts, list) or not posts or not isinstance(posts[0], dict):
        return False
    first = posts[0]
    return "post_content" in first or ("post_date" in first and "form_id" in first)


def parse(data: bytes, name: str = "") -> Parsed:
    text = decode(data)
    if text.lstrip("\ufeff \r\n\t")[:1] in ("{", "["):
        return posts_to_records(text)
    return parse_csv(text)


def parse_csv(text: str) -> Parsed:
    header, rows, lines, rejections = read_csv_text(text)
    if rows and lines[0] == 2 and _is_hxl_row(rows[0]):
        rows, lines = rows[1:], lines[1:]
    received = len(rows) + len(rejections)
    raw = pd.DataFrame(rows, columns=header, dtype=object) if header else pd.DataFrame()
    records = _records(header, rows, lines)
    return Parsed("ushahidi-csv", records, raw, received, rejections)


def posts_to_records(payload: object) -> Parsed:
    """Records from one page of the v5 posts API: `{"results": [post, …]}`, a list of posts, or one post.

    The line number of a post is its position in the page.
    """
    if isinstance(payload, bytes):
        payload = decode(payload)
    if isinstance(payload, str):
        payload = load_json(payload.lstrip("\ufeff"))
    if isinstance(payload, dict):
        if isinstance(payload.get("results"), list):
            items = payload["results"]
        elif isinstance(payload.get("result"), dict):
            items = [payload["result"]]
        elif "id" in payload:
            items = [payload]
        else:
            raise FeedError("réponse de l'API Ushahidi sans liste « results » de messages", "results")
    elif isinstance(payload, list):
        items = payload
    else:
        raise FeedError("réponse de l'API Ushahidi illisible : un objet ou une liste JSON était attendu")
    posts, rejections = json_objects(items)
    rows = [_flatten_post(post) for _, post in posts]
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row if k not in header)
    table = [[row.get(col) for col in header] for row in rows]
    records = _records(header, table, [pos for pos, _ in posts])
    raw = pd.Series([json.dumps(post, ensure_ascii=False) for _, post in posts], dtype=object)
    return Parsed("ushahidi-api", records, raw, len(items), rejections)


def _is_hxl_row(row: list[str]) -> bool:
    cells = [c.strip() for c in row if c and c.strip()]
    return all(c.startswith("#") for c in cells)


def _records(header: list[str], rows: list[list], lines: list[int]) -> pd.DataFrame:
    n = len(rows)
    if not header or not n:
        return frame_from_columns({}, 0, [])
    by_name = {col: [row[i] for row in rows] for i, col in enumerate(header)}
    native = map_columns(header, NATIVE_ALIASES)
    survey = map_columns(header, SURVEY_ALIASES)

    def col(mapping: dict[str, str], key: str) -> list:
        return by_name[mapping[key]] if key in mapping else [None] * n

    def texts(values: list) -> list[str | None]:
        return [as_text(v) for v in values]

    lat, lon = _point_columns(header)
    lat_values = by_name[lat] if lat else col(native, "lat")
    lon_values = by_name[lon] if lon else col(native, "lon")

    def dated(key: str) -> list[str | None]:
        if key not in native:
            return [None] * n
        # Platform dates are UTC (the export says so in the header); Ushahidi 2.x wrote local time.
        utc = native[key].upper() != "INCIDENT DATE"
        return [utc_text(v) if utc else as_text(v) for v in by_name[native[key]]]

    post_date = dated("post_date")
    # 2.x's INCIDENT DATE also answers to the survey alias "Incident date": it is local time, not UTC.
    local_incident = survey.get("incident_date", "").upper() == "INCIDENT DATE"
    incident = [as_text(v) if local_incident else utc_text(v) for v in col(survey, "incident_date")]
    occurred = [i or p for i, p in zip(incident, post_date)]

    titles = texts(col(native, "title"))
    contents = texts(col(native, "content"))
    unstructured = texts(col(native, "unstructured"))
    descriptions = [_description(t, c, u) for t, c, u in zip(titles, contents, unstructured)]

    contacts = texts(col(native, "contact"))
    phones = texts(col(survey, "reporter_phone"))
    emails = texts(col(survey, "reporter_contact"))
    phone = [p or (c if looks_like_phone(c) else None) for p, c in zip(phones, contacts)]
    other = [e or (c if c and not looks_like_phone(c) else None) for e, c in zip(emails, contacts)]

    columns = {
        "source": [SOURCE] * n,
        "source_ref": texts(col(native, "post_id")),
        "occurred_at": occurred,
        "reported_at": dated("created"),
        "lat": texts(lat_values),
        "lon": texts(lon_values),
        "commune": texts(col(survey, "commune")),
        "place": texts(col(survey, "place")),
        "category": [pick_category(split_multi(v)) for v in texts(col(survey, "category"))],
        "severity": texts(col(survey, "severity")),
        "description": descriptions,
        "language": texts(col(survey, "language")),
        "reporter_name": texts(col(survey, "reporter_name")),
        "reporter_phone": phone,
        "reporter_contact": other,
    }
    return frame_from_columns(columns, n, lines)


def _point_columns(header: list[str]) -> tuple[str | None, str | None]:
    """The first `<label>.lat` column whose `<label>.lon` exists."""
    lower = {h.lower(): h for h in header}
    for h in header:
        if h.lower().endswith(".lat"):
            partner = lower.get(h.lower()[:-4] + ".lon")
            if partner:
                return h, partner
    return None, None


def _description(title: str | None, content: str | None, unstructured: str | None) -> str | None:
    body = content or unstructured
    if title and body and not body.strip().startswith(title.strip()):
        return f"{title.strip()} — {body.strip()}"
    return body or title


def _flatten_post(post: dict) -> dict[str, object]:
    """One v5 post as the row the CSV export would give for it."""
    survey = post.get("survey")
    row: dict[str, object] = {
        "Post ID": post.get("id"),
        "Survey": survey.get("name") if isinstance(survey, dict) else post.get("form_id"),
        "Post Status": post.get("status"),
        "Created (UTC)": post.get("created"),
        "Updated (UTC)": post.get("updated"),
        "Post Date (UTC)": post.get("post_date"),
        "Title": post.get("title"),
        "Description": post.get("content"),
    }
    contact = _contact(post)
    if contact:
        row["Contact"] = contact
    if post.get("author_realname"):
        row["Name"] = post["author_realname"]
    if post.get("author_email"):
        row["Email"] = post["author_email"]
    names = _category_names(post)
    for task in post.get("post_content") or []:
        if not isinstance(task, dict):
            continue
        for field in task.get("fields") or []:
            if not isinstance(field, dict):
                continue
            _flatten_field(field, row, names)
    if "Categories" not in row and post.get("categories"):
        row["Categories"] = ", ".join(names.get(str(_tag_id(c)), str(_tag_id(c))) for c in post["categories"])
    return row


def _flatten_field(field: dict, row: dict[str, object], names: dict[str, str]) -> None:
    kind = field.get("type")
    if kind in ("title", "description"):
        return  # their values are the post's title and content
    label = str(field.get("label") or field.get("key") or f"champ_{field.get('id')}")
    value = field.get("value")
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "value" in v for v in value):
        value = [v["value"] for v in value]
    if value in (None, "", []):
        return
    if kind == "point" or (isinstance(value, dict) and {"lat", "lon"} <= set(value)):
        point = value[0] if isinstance(value, list) else value
        if isinstance(point, dict):
            row.setdefault(f"{label}.lat", point.get("lat"))
            row.setdefault(f"{label}.lon", point.get("lon"))
        return
    if kind == "tags":
        for option in field.get("options") or []:
            if isinstance(option, dict) and option.get("id") is not None:
                names.setdefault(str(option["id"]), str(option.get("tag") or option.get("id")))
        tags = value if isinstance(value, list) else [value]
        row[label] = ", ".join(names.get(str(_tag_id(t)), str(_tag_id(t))) for t in tags)
        return
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    row.setdefault(label, value)


def _tag_id(tag: object) -> object:
    return tag.get("id") if isinstance(tag, dict) else tag


def _category_names(post: dict) -> dict[str, str]:
    names: dict[str, str] = {}
    for cat in post.get("categories") or []:
        if isinstance(cat, dict) and cat.get("id") is not None:
            names[str(cat["id"])] = str(cat.get("tag") or cat["id"])
    return names


def _contact(post: dict) -> str | None:
    for holder in (post, post.get("message") if isinstance(post.get("message"), dict) else None):
        if not holder:
            continue
        contact = holder.get("contact")
        if isinstance(contact, dict):
            contact = contact.get("contact")
        if contact:
            return str(contact)
    return None


__all__ = ["parse", "parse_csv", "posts_to_records", "is_ushahidi_header", "is_posts_payload"]
