"""Social-media claims (feed 7): the CSV that monitoring teams keep of rumours and false news.

One row per post or message. French or English column names (ALIASES is the source of truth, the README
lists them); the same encodings and separators as the native feed. A claim is identified by its link:
the same url again, in the same file or a later one, is a duplicate.

| field | rule |
|---|---|
| url | required, one `http://` or `https://` link (pages render it as a link: no `javascript:`) |
| platform | given, else taken from the link's host (`facebook.com` → `facebook`) |
| first seen | blank, or a readable date no later than the file's arrival; without a zone it is local time |
| reach | blank, or a count (`12 000`, `12k`, `1,5M`) |
| verdict | blank (not checked yet), or `vrai`, `faux`, `trompeur`, `invérifiable` (French or English words, see VERDICTS) |
| debunk url | blank, or one http(s) link |
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from vigie.ingest.normalize import EARLIEST, FUTURE_TOLERANCE, MAX_DESCRIPTION, parse_datetimes
from vigie.ingest.records import Parsed, Rejection, map_columns, read_csv_text
from vigie.ingest.tables import code_of, http_url, parse_count, raw_records
from vigie.text import clean_text, match_key

FORMAT = "claims-csv"

ALIASES: dict[str, tuple[str, ...]] = {
    "platform": ("platform", "plateforme", "reseau", "reseau_social", "social_network", "network"),
    "url": ("url", "lien", "link", "permalien", "permalink"),
    "text": ("text", "texte", "contenu", "content", "message", "publication", "post", "description", "resume",
             "claim", "affirmation", "rumeur"),
    "first_seen": ("first_seen", "vu_le", "premiere_apparition", "date_premiere_apparition", "detecte_le",
                   "detected_at", "date_heure", "date"),
    "reach": ("reach", "portee", "audience", "vues", "views", "partages", "shares", "interactions", "engagement"),
    "verdict": ("verdict", "statut_verification", "fact_check", "verification", "evaluation", "rating"),
    "debunk_url": ("debunk_url", "lien_dementi", "dementi", "lien_verification", "fact_check_url", "debunk",
                   "rectificatif"),
}

VERDICTS: dict[str, str] = {
    match_key(word): code
    for code, words in {
        "vrai": ("vrai", "true", "exact", "correct", "confirmé"),
        "faux": ("faux", "fausse", "false", "fake", "infox", "intox"),
        "trompeur": ("trompeur", "trompeuse", "misleading", "partiellement faux", "partly false", "hors contexte",
                     "out of context", "missing context"),
        "invérifiable": ("invérifiable", "non vérifiable", "unverifiable", "unproven", "non prouvé"),
    }.items()
    for word in words
}
_HOST = re.compile(r"https?://(?:www\.|m\.|mobile\.)?([^/:?#]+)", re.IGNORECASE)
PLATFORM_HOSTS = {"fb": "facebook", "twitter": "x", "wa": "whatsapp", "youtu": "youtube", "t": "telegram"}


def is_claims_header(keys: set[str]) -> bool:
    def has(field: str) -> bool:
        return any(match_key(a).replace(" ", "_") in keys for a in ALIASES[field])

    return has("platform") and has("url")


def platform_of(url: str) -> str | None:
    """"https://www.facebook.com/..." → "facebook"; "https://t.me/..." → "telegram"."""
    match = _HOST.match(url)
    if not match:
        return None
    name = match.group(1).lower().rsplit(".", 2)[-2] if "." in match.group(1) else match.group(1).lower()
    return PLATFORM_HOSTS.get(name, name)


def read(text: str, *, received_at: dt.datetime, utc_offset_hours: float) -> Parsed:
    header, rows, lines, rejections = read_csv_text(text)
    received = len(rows) + len(rejections)
    values = _columns(header, rows)
    raws = raw_records(header, rows)
    first_seen = parse_datetimes(pd.Series(values["first_seen"], dtype=object), utc_offset_hours)
    latest = pd.Timestamp(received_at) + FUTURE_TOLERANCE

    kept: list[dict] = []
    for pos, raw in enumerate(raws):
        row = {field: column[pos] for field, column in values.items()}
        claim, problem = _typed(row, first_seen.iloc[pos], latest)
        if problem:
            rejections.append(Rejection(lines[pos], problem[0], problem[1], raw[:10_000]))
            continue
        kept.append({"pos": pos, **claim, "text": row["text"], "raw": raw})

    frame = pd.DataFrame(kept, columns=COLUMNS, dtype=object)
    frame["pos"] = frame["pos"].astype("int64")
    frame["first_seen"] = pd.to_datetime(frame["first_seen"]).astype("datetime64[us]")
    frame["reach"] = pd.array(frame["reach"], dtype="Int64")
    rejections.sort(key=lambda r: (r.line_no is None, r.line_no or 0))
    return Parsed(FORMAT, frame, pd.Series(raws, dtype=object), received, rejections)


COLUMNS = ["pos", "platform", "url", "text", "first_seen", "reach", "verdict", "debunk_url", "raw"]


def _columns(header: list[str], rows: list[list[str]]) -> dict[str, list[str | None]]:
    """Each field's cleaned values (None where blank, or where the file has no such column)."""
    mapping = map_columns(header, ALIASES)
    index = {name: i for i, name in enumerate(header)}
    return {field: ([_short(row[index[mapping[field]]], MAX_DESCRIPTION if field == "text" else 2_000)
                     for row in rows] if field in mapping else [None] * len(rows))
            for field in ALIASES}


def _typed(row: dict, seen: pd.Timestamp, latest: pd.Timestamp) -> tuple[dict, tuple[str, str] | None]:
    """The claim's typed fields, or the first (field, reason) that refuses it."""
    url, debunk = http_url(row["url"]), http_url(row["debunk_url"])
    reach, reach_ok = parse_count(row["reach"])
    verdict = VERDICTS.get(match_key(row["verdict"])) if row["verdict"] else None
    checks = (
        (not row["url"], "lien", "lien manquant"),
        (bool(row["url"]) and url is None, "lien",
         f"lien invalide « {(row['url'] or '')[:200]} » (http:// ou https:// attendu)"),
        (bool(row["first_seen"]) and pd.isna(seen), "date",
         f"date illisible « {row['first_seen']} » (JJ/MM/AAAA HH:MM ou ISO 8601 attendu)"),
        (pd.notna(seen) and seen > latest, "date", "date dans le futur (fuseau horaire ou année erronés ?)"),
        (pd.notna(seen) and seen < EARLIEST, "date", "date antérieure à l'an 2000 : invraisemblable"),
        (not reach_ok, "portee", f"portée illisible « {row['reach']} » (nombre attendu)"),
        (bool(row["verdict"]) and verdict is None, "verdict",
         f"verdict inconnu « {row['verdict']} » (attendus : vrai, faux, trompeur, invérifiable)"),
        (bool(row["debunk_url"]) and debunk is None, "lien_dementi",
         f"lien du démenti invalide « {(row['debunk_url'] or '')[:200]} » (http:// ou https:// attendu)"),
    )
    problem = next(((field, reason) for bad, field, reason in checks if bad), None)
    platform = code_of(row["platform"]) or (platform_of(url) if url else None) or "inconnue"
    return {"platform": PLATFORM_HOSTS.get(platform, platform), "url": url, "first_seen": seen, "reach": reach,
            "verdict": verdict, "debunk_url": debunk}, problem


def _short(value: str, limit: int) -> str | None:
    cleaned = clean_text(value)
    return cleaned[:limit] if cleaned else None
