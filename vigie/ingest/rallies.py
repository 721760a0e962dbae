"""Rally itineraries (feed 6): the CSV that parties send to the police, or the police's own list.

One row per rally. French or English column names (ALIASES is the source of truth, the README lists
them); `;` or `,`, cp1252 or UTF-8/16, as for the native feed. The date and the hour may be one column
(`date_heure`, `starts_at`) or two (`date` + `heure`); hours may be written `15h`, `15h30` or `15:30`;
a date without an hour is the start of that day. Times without a zone are local time of the country pack.

Each row is accepted or quarantined with the field and the reason:

| field | rule |
|---|---|
| party | required |
| date | required, readable, from 2000 on and at most 400 days after the file arrived (future rallies are the point) |
| commune | the `commune` column, else the place, must name a commune of the pack (accents, case and hyphens aside; variants, arrondissements and localities count); a rally that cannot be put on the map is refused, so the sender can correct it |
| expected attendance | blank, or a count (`5 000`, `5.000`, `2k`) |
| protection status | blank (not said), or one of `accordee`, `demandee`, `refusee`, `aucune` in French or English words (see PROTECTION) |
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from vigie.geo import Locator
from vigie.ingest.normalize import EARLIEST, parse_datetimes
from vigie.ingest.records import Parsed, Rejection, map_columns, read_csv_text
from vigie.ingest.tables import code_of, parse_count, raw_records
from vigie.text import clean_text, match_key

FORMAT = "rallies-csv"
MAX_TEXT = 500
LATEST = pd.Timedelta(days=400)

ALIASES: dict[str, tuple[str, ...]] = {
    "source_ref": ("source_ref", "id", "ref", "reference", "identifiant", "numero", "n", "no", "id_meeting"),
    "source": ("source", "canal", "emetteur", "transmis_par", "sent_by"),
    "party": ("party", "parti", "parti_politique", "formation_politique", "political_party"),
    "starts_at": ("starts_at", "date_heure", "debut", "start", "datetime", "date", "jour", "day"),
    "hour": ("heure", "heure_debut", "time", "start_time", "hour"),
    "commune": ("commune", "commune_name", "nom_commune", "municipality", "commune_code", "code_commune"),
    "place": ("place", "lieu", "location", "venue", "site", "localite", "quartier", "arrondissement", "adresse"),
    "expected_attendance": ("expected_attendance", "affluence", "affluence_attendue", "participants",
                            "participants_attendus", "attendance", "effectif_attendu", "nombre_attendu"),
    "protection_status": ("protection_status", "protection", "statut_protection", "statut", "status"),
    "unit": ("unit", "unite", "unite_protection", "unite_de_securite", "escorte", "police_unit", "security_unit"),
}
# Columns that make a file a reports feed even when it names a party (e.g. "parti" of the perpetrators).
REPORT_COLUMNS = {"categorie", "category", "type_incident", "gravite", "severity"}

PROTECTION: dict[str, str] = {
    match_key(word): code
    for code, words in {
        "accordee": ("accordée", "accordé", "protégé", "protégée", "assurée", "assuré", "confirmée", "confirmé",
                     "oui", "yes", "granted", "protected", "confirmed"),
        "demandee": ("demandée", "demandé", "en attente", "sollicitée", "requested", "pending"),
        "refusee": ("refusée", "refusé", "rejetée", "refused", "denied", "rejected"),
        "aucune": ("aucune", "non", "sans", "non demandée", "no", "none", "not requested"),
    }.items()
    for word in (code, *words)
}
_HAS_TIME = re.compile(r"(?:^|[T\s])\d{1,2}\s*[:hH]")
_FRENCH_HOUR = re.compile(r"\s(\d{1,2})\s*[hH]\s*(\d{2})?$")  # "05/01/2023 15h30" → "05/01/2023 15:30"
_HOUR = re.compile(r"(\d{1,2})\s*[hH:]\s*(\d{2})?(?::\d{2})?|(\d{1,2})")


def is_rallies_header(keys: set[str]) -> bool:
    def has(field: str) -> bool:
        return any(match_key(a).replace(" ", "_") in keys for a in ALIASES[field])

    return (has("party") and (has("starts_at") or has("hour")) and (has("place") or has("commune"))
            and not keys & REPORT_COLUMNS)


def hour_text(value: str) -> str | None:
    """"15h", "15h30", "9:05", "15" → "15:00", "15:30", "09:05", "15:00"; None when not an hour."""
    match = _HOUR.fullmatch(value.strip())
    if not match:
        return None
    hours = int(match.group(1) or match.group(3))
    minutes = int(match.group(2) or 0)
    if hours > 23 or minutes > 59:
        return None
    return f"{hours:02d}:{minutes:02d}"


def read(text: str, locator: Locator, *, default_source: str, received_at: dt.datetime,
         utc_offset_hours: float, party: str | None = None) -> Parsed:
    """With `party` (a party liaison's own submission): a row without a party is that party's, a row of
    another party is refused, the source is the account's whatever the file says, and the protection is
    asked for (`demandee`) unless the row says `aucune`; a party never grants itself protection or a unit."""
    header, rows, lines, rejections = read_csv_text(text)
    received = len(rows) + len(rejections)
    values = _columns(header, rows)
    raws = raw_records(header, rows)
    when = [_start_text(day, hour) for day, hour in zip(values["starts_at"], values["hour"])]
    starts = parse_datetimes(pd.Series([w for w, _ in when], dtype=object), utc_offset_hours)
    latest = pd.Timestamp(received_at) + LATEST

    kept: list[dict] = []
    for pos, raw in enumerate(raws):
        row = {field: column[pos] for field, column in values.items()}
        if party is not None:
            row["party"] = row["party"] or party
        rally, problem = _typed(row, *when[pos], starts.iloc[pos], locator, latest)
        if not problem and party is not None and match_key(row["party"]) != match_key(party):
            problem = ("parti", f"meeting du parti « {row['party']} » : ce compte ne soumet que ceux de « {party} »")
        if problem:
            rejections.append(Rejection(lines[pos], problem[0], problem[1], raw[:10_000]))
            continue
        source = (code_of(row["source"]) if party is None else None) or default_source
        if party is not None:
            rally["protection_status"] = "aucune" if rally["protection_status"] == "aucune" else "demandee"
            row["unit"] = None
        ref = row["source_ref"]
        kept.append({"pos": pos, "source": source, "source_ref": ref, **rally, "unit": row["unit"], "raw": raw,
                     "ref_key": f"{source}\x1f{ref}" if ref else None})

    frame = pd.DataFrame(kept, columns=COLUMNS, dtype=object)
    frame["pos"] = frame["pos"].astype("int64")
    frame["starts_at"] = pd.to_datetime(frame["starts_at"]).astype("datetime64[us]")
    frame["starts_local"] = (frame["starts_at"] + pd.Timedelta(hours=utc_offset_hours)).astype("datetime64[us]")
    frame["expected_attendance"] = pd.array(frame["expected_attendance"], dtype="Int32")
    rejections.sort(key=lambda r: (r.line_no is None, r.line_no or 0))
    return Parsed(FORMAT, frame, pd.Series(raws, dtype=object), received, rejections)


COLUMNS = ["pos", "source", "source_ref", "party", "starts_at", "commune_code", "place", "expected_attendance",
           "protection_status", "unit", "raw", "ref_key"]


def _columns(header: list[str], rows: list[list[str]]) -> dict[str, list[str | None]]:
    """Each field's cleaned values (None where blank, or where the file has no such column)."""
    mapping = map_columns(header, ALIASES)
    index = {name: i for i, name in enumerate(header)}
    return {field: [_short(row[index[mapping[field]]]) for row in rows] if field in mapping else [None] * len(rows)
            for field in ALIASES}


def _start_text(day: str | None, hour: str | None) -> tuple[str | None, str | None]:
    """(date and hour as one text normalize can read, the hour as given when it is unreadable)."""
    if hour and not (day and _HAS_TIME.search(day)):
        hhmm = hour_text(hour)
        if hhmm is None:
            return day, hour
        day = f"{day} {hhmm}" if day else None
    if day:
        day = _FRENCH_HOUR.sub(lambda m: f" {int(m[1]):02d}:{int(m[2] or 0):02d}", day)
    return day, None


def _typed(row: dict, when: str | None, bad_hour: str | None, start: pd.Timestamp, locator: Locator,
           latest: pd.Timestamp) -> tuple[dict, tuple[str, str] | None]:
    """The rally's typed fields, or the first (field, reason) that refuses it."""
    commune, place = row["commune"], row["place"]
    code = locator.match_name(commune)[0] if commune else None
    if code is None and place:
        code = locator.match_name(place)[0]
    attendance, attendance_ok = parse_count(row["expected_attendance"])
    status_text = row["protection_status"]
    status = PROTECTION.get(match_key(status_text)) if status_text else None
    checks = (
        (not row["party"], "parti", "parti manquant"),
        (bad_hour is not None, "heure", f"heure illisible « {bad_hour} » (15h, 15h30 ou 15:30 attendu)"),
        (when is None, "date", "date du meeting manquante"),
        (when is not None and pd.isna(start), "date",
         f"date illisible « {when} » (JJ/MM/AAAA HH:MM ou AAAA-MM-JJ HH:MM attendu)"),
        (pd.notna(start) and start < EARLIEST, "date", "date antérieure à l'an 2000 : invraisemblable"),
        (pd.notna(start) and start > latest, "date", "date à plus de 400 jours : année erronée ?"),
        (code is None and bool(commune), "commune", f"commune inconnue « {commune} » (nom de commune du pays attendu)"),
        (code is None and not commune, "lieu",
         f"lieu non localisé « {place} » : ajoutez la commune" if place else "ni commune ni lieu"),
        (not attendance_ok or (attendance or 0) > 2**31 - 1, "affluence",
         f"affluence attendue illisible « {row['expected_attendance']} » (nombre attendu)"),
        (bool(status_text) and status is None, "protection",
         f"statut de protection inconnu « {status_text} » (attendus : accordée, demandée, refusée, aucune)"),
    )
    problem = next(((field, reason) for bad, field, reason in checks if bad), None)
    return {"party": row["party"], "starts_at": start, "commune_code": code, "place": place,
            "expected_attendance": attendance, "protection_status": status}, problem


def _short(value: str) -> str | None:
    cleaned = clean_text(value)
    return cleaned[:MAX_TEXT] if cleaned else None
