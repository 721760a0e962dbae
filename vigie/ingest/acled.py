"""ACLED-style CSV: historical baseline events (Armed Conflict Location & Event Data).

Both schemas are read: the current one in lower case (`event_id_cnty`, `event_date`, `event_type`,
`sub_event_type`, `admin1`…`admin3`, `location`, `latitude`, `longitude`, `geo_precision`, `notes`,
`fatalities`, `timestamp`…) and the older one in upper case (`EVENT_ID_CNTY`, `EVENT_DATE` as
DD/MM/YYYY, the pre-2019 event types such as `Riots/Protests` or `Battle-No change of territory`).
Event dates are calendar days in local time: `2023-01-05` (API), `05 January 2023` (export tool) and
`05/01/2023` (older files) all become local midnight of that day.

| Vigie field | ACLED column |
|---|---|
| source | `acled` |
| source_ref | `event_id_cnty` |
| occurred_at | `event_date` (local day) |
| reported_at | `timestamp` (Unix seconds: when ACLED last changed the event) |
| lat / lon | `latitude` / `longitude`, except when `geo_precision` is 3 (coordinates of a regional capital) |
| commune | `admin2` (a Beninese commune); left empty when `geo_precision` is 3 |
| place | `location`; `admin1` (the département) when `geo_precision` is 3 |
| category | `sub_event_type`, else `event_type`, through EVENT_CATEGORIES below |
| severity | 4 if `fatalities` ≥ 1; else 3 for battles, explosions/remote violence and violence against civilians, 2 for riots, 1 for protests; none for strategic developments |
| description | `notes` (else event type, sub-event type and actors) |
| language | `en` |

The file's own `source` column names the press sources ACLED used; it stays in `raw`, not in
Vigie's `source`. An event type Vigie does not know passes through and becomes `autre` with a flag.
"""

from __future__ import annotations

import re

import pandas as pd

from vigie.ingest.feedtools import as_text
from vigie.ingest.records import Parsed, decode, frame_from_columns, read_csv_text
from vigie.text import match_key

SOURCE = "acled"

# ACLED event and sub-event types (current and pre-2019) → taxonomy codes. Keys are match keys.
EVENT_CATEGORIES: dict[str, str] = {
    match_key(k): v
    for k, v in {
        # Battles
        "Battles": "securite", "Armed clash": "securite", "Government regains territory": "securite",
        "Non-state actor overtakes territory": "securite",
        # Explosions/Remote violence
        "Explosions/Remote violence": "securite", "Chemical weapon": "securite", "Air/drone strike": "securite",
        "Suicide bomb": "securite", "Shelling/artillery/missile attack": "securite",
        "Remote explosive/landmine/IED": "securite", "Grenade": "securite",
        # Violence against civilians
        "Violence against civilians": "violence", "Attack": "violence", "Sexual violence": "violence",
        "Abduction/forced disappearance": "securite",
        # Protests and riots
        "Protests": "manifestation", "Peaceful protest": "manifestation",
        "Protest with intervention": "manifestation", "Excessive force against protesters": "violence",
        "Riots": "manifestation", "Violent demonstration": "manifestation", "Mob violence": "violence",
        # Strategic developments
        "Strategic developments": "autre", "Arrests": "arrestation", "Looting/property destruction": "destruction",
        "Disrupted weapons use": "securite", "Agreement": "autre", "Change to group/activity": "autre",
        "Headquarters or base established": "autre", "Non-violent transfer of territory": "autre", "Other": "autre",
        # Pre-2019 event types
        "Battle-No change of territory": "securite", "Battle-Government regains territory": "securite",
        "Battle-Non-state actor overtakes territory": "securite", "Remote violence": "securite",
        "Riots/Protests": "manifestation", "Strategic development": "autre",
    }.items()
}

# Event types by how serious they are when nobody died (match keys of the event_type column).
_SEVERITY_BY_TYPE = {
    **dict.fromkeys(map(match_key, ("Battles", "Explosions/Remote violence", "Violence against civilians",
                                    "Remote violence", "Battle-No change of territory",
                                    "Battle-Government regains territory",
                                    "Battle-Non-state actor overtakes territory")), "3"),
    match_key("Riots"): "2",
    match_key("Protests"): "1",
    match_key("Riots/Protests"): "2",
}

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[\s-]+([A-Za-zéûÉÛ]+)[\s-]+(\d{4})$")


def is_acled_header(header: list[str]) -> bool:
    return "event_id_cnty" in {h.strip().lower() for h in header}


def parse(data: bytes, name: str = "") -> Parsed:
    return parse_csv(decode(data))


def parse_csv(text: str) -> Parsed:
    header, rows, lines, rejections = read_csv_text(text)
    received = len(rows) + len(rejections)
    n = len(rows)
    raw = pd.DataFrame(rows, columns=header, dtype=object) if header else pd.DataFrame()
    if not n:
        return Parsed("acled", frame_from_columns({}, 0, []), raw, received, rejections)
    index = {h.strip().lower(): i for i, h in enumerate(header)}

    def col(name: str) -> list[str | None]:
        i = index.get(name)
        return [as_text(row[i]) for row in rows] if i is not None else [None] * n

    event_type, sub_type = col("event_type"), col("sub_event_type")
    precision = [(p or "").strip() for p in col("geo_precision")]
    regional = [p == "3" for p in precision]
    lat, lon = col("latitude"), col("longitude")
    admin1, admin2, location = col("admin1"), col("admin2"), col("location")
    notes, actor1, actor2 = col("notes"), col("actor1"), col("actor2")
    fatalities = col("fatalities")

    columns = {
        "source": [SOURCE] * n,
        "source_ref": col("event_id_cnty"),
        "occurred_at": [event_day(v) for v in col("event_date")],
        "reported_at": col("timestamp"),
        "lat": [None if r else v for r, v in zip(regional, lat)],
        "lon": [None if r else v for r, v in zip(regional, lon)],
        "commune": [None if r else v for r, v in zip(regional, admin2)],
        "place": [a1 if r else loc for r, a1, loc in zip(regional, admin1, location)],
        "category": [category(e, s) for e, s in zip(event_type, sub_type)],
        "severity": [severity(e, f) for e, f in zip(event_type, fatalities)],
        "description": [
            note or _summary(e, s, a1, a2)
            for note, e, s, a1, a2 in zip(notes, event_type, sub_type, actor1, actor2)
        ],
        "language": ["en"] * n,
    }
    return Parsed("acled", frame_from_columns(columns, n, lines), raw, received, rejections)


def event_day(value: str | None) -> str | None:
    """`05 January 2023` → `2023-01-05`; other spellings pass through for normalize to read or refuse."""
    if not value:
        return None
    text = value.strip()
    m = _DAY_MONTH_YEAR.match(text)
    if m:
        month = _MONTHS.get(match_key(m.group(2)))
        if month:
            return f"{int(m.group(3)):04d}-{month:02d}-{int(m.group(1)):02d}"
    return text


def category(event_type: str | None, sub_event_type: str | None) -> str | None:
    for value in (sub_event_type, event_type):
        code = EVENT_CATEGORIES.get(match_key(value)) if value else None
        if code:
            return code
    return sub_event_type or event_type


def severity(event_type: str | None, fatalities: str | None) -> str | None:
    try:
        deaths = int(float((fatalities or "0").strip().replace(",", ".")))
    except ValueError:
        deaths = 0
    if deaths >= 1:
        return "4"
    return _SEVERITY_BY_TYPE.get(match_key(event_type)) if event_type else None


def _summary(event_type, sub_type, actor1, actor2) -> str | None:
    what = " / ".join(v for v in (event_type, sub_type) if v)
    who = ", ".join(v for v in (actor1, actor2) if v)
    if what and who:
        return f"{what} (acteurs : {who})"
    return what or who or None


__all__ = ["parse", "parse_csv", "is_acled_header", "EVENT_CATEGORIES", "event_day", "category", "severity"]
