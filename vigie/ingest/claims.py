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
    mapping = map_columns(header, ALIASES)
    index = {name: i for i, name in enumerate(header)}

    def column(field: str, limit: int = 2_000) -> list[str | None]:
        if field not in mapping:
            return [None] * len(rows)
        i = index[mapping[field]]
        return [_short(row[i], limit) for row in rows]

    values = {field: column(field) for field in ALIASES}
    values["text"] = column("text", MAX_DESCRIPTION)
    raws = raw_records(header, rows)
    first_seen = parse_datetimes(pd.Series(values["first_seen"], dtype=object), utc_offset_hours)
    latest = pd.Timestamp(received_at) + FUTURE_TOLERANCE

    out: dict[str, list] = {k: [] for k in ("pos", "platform", "url", "text", "first_seen", "reach", "verdict",
                                              "debunk_url", "raw")}
    for pos in range(len(rows)):
        given_url, given_debunk = values["url"][pos], values["debunk_url"][pos]
        url, debunk = http_url(given_url), http_url(given_debunk)
        seen = first_seen.iloc[pos]
        reach, reach_ok = parse_count(values["reach"][pos])
        verdict_text = values["verdict"][pos]
        verdict = VERDICTS.get(match_key(verdict_text)) if verdict_text else None
        reason = next(((field, why) for bad, field, why in (
            (not given_url, "lien", "lien manquant"),
            (given_url and url is None, "lien", f"lien invalide « {(given_url or '')[:200]} » (http:// ou https:// attendu)"),
            (values["first_seen"][pos] and pd.isna(seen), "date",
             f"date illisible « {values['first_seen'][pos]} » (JJ/MM/AAAA HH:MM ou ISO 8601 attendu)"),
            (pd.notna(seen) and seen > latest, "date", "date dans le futur (fuseau horaire ou année erronés ?)"),
            (pd.notna(seen) and seen < EARLIEST, "date", "date antérieure à l'an 2000 : invraisemblable"),
            (not reach_ok, "portee", f"portée illisible « {values['reach'][pos]} » (nombre attendu)"),
            (bool(verdict_text) and verdict is None, "verdict",
             f"verdict inconnu « {verdict_text} » (attendus : vrai, faux, trompeur, invérifiable)"),
            (bool(given_debunk) and debunk is None, "lien_dementi",
             f"lien du démenti invalide « {(given_debunk or '')[:200]} » (http:// ou https:// attendu)"),
        ) if bad), None)
        if reason:
            rejections.append(Rejection(lines[pos], reason[0], reason[1], raws[pos][:10_000]))
            continue
        platform = code_of(values["platform"][pos]) or platform_of(url) or "inconnue"
        for key, value in (("pos", pos), ("platform", PLATFORM_HOSTS.get(platform, platform)), ("url", url),
                           ("text", values["text"][pos]), ("first_seen", seen), ("reach", reach),
                           ("verdict", verdict), ("debunk_url", debunk), ("raw", raws[pos])):
            out[key].append(value)

    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in out.items()})
    frame["pos"] = frame["pos"].astype("int64")
    frame["first_seen"] = pd.to_datetime(frame["first_seen"]).astype("datetime64[us]")
    frame["reach"] = pd.array(frame["reach"], dtype="Int64")
    rejections.sort(key=lambda r: (r.line_no is None, r.line_no or 0))
    return Parsed(FORMAT, frame, pd.Series(raws, dtype=object), received, rejections)


def _short(value: str, limit: int) -> str | None:
    cleaned = clean_text(value)
    return cleaned[:limit] if cleaned else None
