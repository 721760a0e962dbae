"""Vigie's native feed: CSV or JSON Lines, with French or English column names.

French spreadsheet habits are accepted: `;` separator, decimal comma, `JJ/MM/AAAA HH:MM` dates,
cp1252 / latin-1 text and a BOM. The README documents the columns; ALIASES is the source of truth.
"""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa

from vigie.ingest.records import (
    FeedError,
    Parsed,
    Rejection,
    decode,
    frame_from_columns,
    header_key,
    json_reason,
    map_columns,
    read_csv_plain,
    read_csv_text,
)

WIDE = 500  # columns beyond which the original records are kept as JSON text rather than as a frame

ALIASES: dict[str, tuple[str, ...]] = {
    "source_ref": ("source_ref", "id", "ref", "reference", "identifiant", "id_source", "numero"),
    "source": ("source", "canal", "channel", "feed"),
    "occurred_at": ("occurred_at", "date_incident", "date_evenement", "date_heure", "date", "datetime", "when", "quand"),
    "reported_at": ("reported_at", "date_signalement", "date_rapport", "signale_le", "reported"),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "lng", "long", "longitude", "x"),
    "commune": ("commune", "commune_name", "nom_commune", "municipality", "commune_code", "code_commune"),
    "place": ("place", "place_text", "lieu", "localite", "locality", "location", "village", "quartier",
              "arrondissement", "adresse", "address"),
    "category": ("category", "categorie", "type", "type_incident", "code"),
    "severity": ("severity", "gravite", "niveau", "level", "severite"),
    "description": ("description", "texte", "text", "message", "details", "resume", "summary", "body"),
    "language": ("language", "langue", "lang"),
    "reporter_name": ("reporter_name", "nom_rapporteur", "rapporteur", "auteur", "nom", "name", "reporter"),
    "reporter_phone": ("reporter_phone", "telephone", "tel", "phone", "numero_telephone", "mobile"),
    "reporter_contact": ("reporter_contact", "contact", "email", "courriel", "e_mail"),
}


def parse(data: bytes, name: str) -> Parsed:
    text = decode(data)
    if name.lower().endswith((".jsonl", ".ndjson", ".json")) or text.lstrip()[:1] in ("{", "["):
        return parse_jsonl(text)
    return parse_csv(text)


def parse_csv(text: str) -> Parsed:
    plain = read_csv_plain(text)
    if plain is not None:
        header, by_name, lines = plain
        if len(header) <= WIDE:
            mapping = _mapping(header)
            records = frame_from_columns({field: by_name[col] for field, col in mapping.items()}, len(lines), lines)
            return Parsed("native-csv", records, pa.table(by_name), len(lines), [])
    header, rows, lines, rejections = read_csv_text(text)
    received = len(rows) + len(rejections)
    if not header:
        return Parsed("native-csv", frame_from_columns({}, 0, []), pd.DataFrame(), 0, [])
    mapping = _mapping(header)
    index = {name: i for i, name in enumerate(header)}
    columns = {field: [row[index[col]] for row in rows] for field, col in mapping.items()}
    records = frame_from_columns(columns, len(rows), lines)
    if len(header) > WIDE:
        # Thousands of columns: a frame of them (and DuckDB's to_json over it) takes minutes; JSON per row does not.
        raw = pd.Series([json.dumps(dict(zip(header, row)), ensure_ascii=False) for row in rows], dtype=object)
    else:
        raw = pd.DataFrame(dict(zip(header, map(list, zip(*rows)))) if rows else {h: [] for h in header}, dtype=object)
    return Parsed("native-csv", records, raw, received, rejections)


def _mapping(header: list[str]) -> dict[str, str]:
    mapping = map_columns(header, ALIASES)
    if "description" not in mapping and "category" not in mapping:
        raise FeedError(
            "aucune colonne description/texte ni catégorie : ce n'est pas un fichier natif Vigie "
            f"(colonnes lues : {', '.join(header[:12])})"
        )
    return mapping


def parse_jsonl(text: str) -> Parsed:
    stripped = text.strip()
    items: list[tuple[int, str]] = []
    rejections: list[Rejection] = []
    if stripped.startswith("["):
        try:
            array = json.loads(stripped, strict=False, parse_constant=lambda _name: None)
        except json.JSONDecodeError as exc:
            raise FeedError(f"JSON illisible à la ligne {exc.lineno}, colonne {exc.colno} : {json_reason(exc)}") from exc
        items = [(i + 1, json.dumps(obj, ensure_ascii=False)) for i, obj in enumerate(array)]
    elif "\n" in stripped and isinstance(single := _whole_object(stripped), dict):
        items = [(1, json.dumps(single, ensure_ascii=False))]  # one record, pretty-printed over several lines
    elif "\n" in stripped and (error := _document_error(stripped)):
        raise error  # one document over several lines (an API answer), cut or broken: not one record per line
    else:
        # Split on newlines only: str.splitlines() also splits on \x0c, \x1c-\x1e, \x85 and U+2028, which
        # may sit inside a JSON string, and would cut the record in two and shift every line number.
        items = [(i + 1, line.rstrip("\r")) for i, line in enumerate(text.split("\n")) if line.strip()]
    objects: list[dict] = []
    lines: list[int] = []
    raws: list[str] = []
    for line_no, line in items:
        try:
            # strict=False: raw control characters inside strings are stripped later, not a reason to reject.
            # NaN and Infinity are not JSON (the stored raw record must be): read them as missing values.
            obj = json.loads(line, strict=False, parse_constant=lambda _name: None)
        except json.JSONDecodeError as exc:
            rejections.append(Rejection(line_no, None, f"JSON illisible : {json_reason(exc)} (colonne {exc.colno})",
                                        line[:10_000]))
            continue
        except RecursionError:
            rejections.append(Rejection(line_no, None, "JSON imbriqué trop profondément", line[:10_000]))
            continue
        if not isinstance(obj, dict):
            rejections.append(Rejection(line_no, None, "un enregistrement JSON doit être un objet {…}", line[:10_000]))
            continue
        objects.append(obj)
        lines.append(line_no)
        raws.append(json.dumps(obj, ensure_ascii=False))  # valid JSON even when the line was lenient
    keys: list[str] = []
    for obj in objects:
        for key in obj:
            if key not in keys:
                keys.append(key)
    mapping = map_columns(keys, ALIASES)
    columns = {field: [_as_text(obj.get(col)) for obj in objects] for field, col in mapping.items()}
    records = frame_from_columns(columns, len(objects), lines)
    return Parsed("native-jsonl", records, pd.Series(raws, dtype=object), len(items), rejections)


def _whole_object(text: str) -> object | None:
    """The document when the whole text is one JSON value; JSON Lines fail fast at their second line."""
    try:
        return json.loads(text, strict=False, parse_constant=lambda _name: None)
    except (json.JSONDecodeError, RecursionError):
        return None


def _document_error(text: str) -> FeedError | None:
    """Why a JSON document spread over several lines cannot be read; None for JSON Lines, whose first
    or second line is a whole record on its own."""
    first_lines = [line for line in text.split("\n") if line.strip()][:2]
    if len(first_lines) < 2 or any(isinstance(_whole_object(line), (dict, list)) for line in first_lines):
        return None
    try:
        json.loads(text, strict=False)
    except json.JSONDecodeError as exc:
        return FeedError(f"JSON illisible à la ligne {exc.lineno}, colonne {exc.colno} : {json_reason(exc)}")
    except RecursionError:
        return FeedError("JSON imbriqué trop profondément")
    return None


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


__all__ = ["ALIASES", "parse", "parse_csv", "parse_jsonl", "header_key"]
