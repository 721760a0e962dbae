"""SMS reports: the coded message format, and the inbox files the webhook receiver writes.

A coded message is `CODE COMMUNE texte libre`, e.g. `VIO ABOMEY-CALAVI affrontements entre militants
à Godomey`. The code is one of the taxonomy's SMS codes, in any case (`vio`, `Vio`, `#VIO`, `VIO:`):

| code | catégorie | code | catégorie |
|---|---|---|---|
| VIO | violence | IRR | irregularite |
| MEN | menace | LOG | logistique |
| PER | perturbation | SEC | securite |
| DES | destruction | MAN | manifestation |
| DIS | desinformation | ARR | arrestation |
| HAI | discours_haine | AUT | autre |
| ACH | achat_conscience | | |

The commune may be one word or several (`ABOMEY-CALAVI`, `Abomey Calavi`, `SO AVA`, `Grand Popo`):
the longest run of up to six words after the code that is a name of the country pack — a commune
or one of its variants, or an arrondissement or locality of four letters or more — is taken as the
place, and the rest is the description. When no name follows the code, the report keeps its
category, is not located and goes to the "à localiser" queue, its whole text after the code as
description. A message that does not start with a valid code is kept uncategorised, with its whole
text as description.

Inbox files (`*.sms.jsonl`, written by `vigie.webhook`) hold one JSON object per line:
`{"provider", "message_id", "from", "text", "received_at"}`, with `sent_at` and `media` when the gateway gave them.

| Vigie field | inbox record |
|---|---|
| source | `sms` |
| source_ref | `provider:message_id` |
| reported_at | `sent_at`, the gateway's own sent time, when given (a value without a zone is UTC: gateways stamp their servers' clock, not the observer's phone); else `received_at` (UTC, ISO 8601 with `Z`) |
| occurred_at | — (the time of receipt stands in, flagged `date_incident_absente`) |
| category | the code, through the table above |
| commune | the name after the code |
| description | the free text after the name (or the whole message when uncoded); `[MMS : n pièces jointes]` after it when the message has `media` (an MMS without text is kept with that note alone; a line with neither text nor media is quarantined) |
| reporter_phone | `from` (only there: never in the description) |
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from vigie.geo import Pack, load_pack
from vigie.ingest.feedtools import as_text, json_lines, utc_text
from vigie.ingest.records import Parsed, Rejection, decode, frame_from_columns
from vigie.taxonomy import CATEGORIES
from vigie.text import match_key

SOURCE = "sms"
SMS_CODES: dict[str, str] = {sms: code for code, (_fr, _en, sms) in CATEGORIES.items()}
MAX_PLACE_WORDS = 6
# Finer names (arrondissements, localities) shorter than this are too likely to be a word of the text.
MIN_FINER_NAME = 4
INBOX_SUFFIX = ".sms.jsonl"

_TOKEN = re.compile(r"\S+")
# The code: three letters, maybe after # or *, then a blank or punctuation ("VIO COTONOU", "#vio: Cotonou").
_CODE = re.compile(r"[#*]?([A-Za-z]{3})(?:[\s:.,;/-]+|$)")
_PUNCT = " .,;:!()[]\"'"


@dataclass(frozen=True)
class SmsReport:
    category: str | None
    place: str | None  # the words that named the place, as written
    description: str | None


def parse_sms_text(text: str | None, names: dict[str, tuple[str, str]]) -> SmsReport:
    """Split one SMS into category code, place words and free text (see the module docstring)."""
    text = (text or "").strip()
    if not text:
        return SmsReport(None, None, None)
    m = _CODE.match(text)
    code = SMS_CODES.get(m.group(1).upper()) if m else None
    if code is None:
        return SmsReport(None, None, text)
    rest = text[m.end():]
    tokens = list(_TOKEN.finditer(rest))
    for k in range(min(MAX_PLACE_WORDS, len(tokens)), 0, -1):
        words = rest[tokens[0].start():tokens[k - 1].end()]
        key = match_key(words)
        hit = names.get(key)
        if hit and (hit[1] == "commune" or len(key) >= MIN_FINER_NAME):
            description = rest[tokens[k].start():].strip() if k < len(tokens) else ""
            return SmsReport(code, words.strip(_PUNCT), description or None)
    return SmsReport(code, None, rest.strip() or None)


def is_inbox_file(name: str) -> bool:
    return name.lower().endswith(INBOX_SUFFIX)


def parse(data: bytes, name: str = "", pack: Pack | None = None) -> Parsed:
    return parse_inbox(decode(data), pack)


def parse_inbox(text: str, pack: Pack | None = None) -> Parsed:
    names = (pack or _default_pack()).names
    good, rejections, received = json_lines(text)
    kept: list[tuple[int, dict, str]] = []
    for line_no, obj, line in good:
        message = obj.get("text")
        has_text = isinstance(message, str) and message.strip()
        if not has_text and not _media(obj):
            rejections.append(Rejection(line_no, "text", "SMS sans texte ni pièce jointe", line[:10_000]))
            continue
        kept.append((line_no, obj, line))
    n = len(kept)
    parsed = [parse_sms_text(obj["text"] if isinstance(obj.get("text"), str) else "", names) for _, obj, _ in kept]
    refs = [_ref(obj) for _, obj, _ in kept]
    columns = {
        "source": [SOURCE] * n,
        "source_ref": refs,
        # The gateway's sent time when it gave one (zone-less: UTC), else the time of receipt.
        "reported_at": [utc_text(obj.get("sent_at")) or as_text(obj.get("received_at")) for _, obj, _ in kept],
        "commune": [p.place for p in parsed],
        "category": [p.category for p in parsed],
        "description": [_with_media(p.description, _media(obj)) for p, (_, obj, _) in zip(parsed, kept)],
        "reporter_phone": [as_text(obj.get("from")) for _, obj, _ in kept],
    }
    records = frame_from_columns(columns, n, [line_no for line_no, _, _ in kept])
    raw = pd.Series([line for _, _, line in kept], dtype=object)
    return Parsed("sms-inbox", records, raw, received, rejections)


def _media(obj: dict) -> list[str]:
    media = obj.get("media")
    return [m for m in media if isinstance(m, str) and m.strip()] if isinstance(media, list) else []


def _with_media(description: str | None, media: list[str]) -> str | None:
    """An MMS keeps its text; the attachments are noted after it (the links stay in the raw record)."""
    if not media:
        return description
    note = f"[MMS : {len(media)} pièce{'s' if len(media) > 1 else ''} jointe{'s' if len(media) > 1 else ''}]"
    return f"{description} {note}" if description else note


def _ref(obj: dict) -> str | None:
    provider, message_id = as_text(obj.get("provider")), as_text(obj.get("message_id"))
    if not message_id:
        return None
    return f"{provider or 'sms'}:{message_id}"


def _default_pack() -> Pack:
    from vigie.config import load_settings

    return load_pack(load_settings().pack)


__all__ = ["parse", "parse_inbox", "parse_sms_text", "is_inbox_file", "SmsReport", "SMS_CODES", "INBOX_SUFFIX"]
