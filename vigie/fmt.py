"""Numbers and dates written the French way in French, the English way in English.

Plain functions of a value and a language, so that the interface (vigie/ui/i18n.py, which knows the
session's language) and the daily report (vigie/report/, built without Streamlit) write them alike.
"""

from __future__ import annotations

import datetime as dt
import pandas as pd

MONTHS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
MONTHS_FR_LONG = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                  "novembre", "décembre")
DAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
NNBSP = "\u202f"  # narrow no-break space: the French thousands separator


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array: not a missing scalar
        return False


def fmt_int(value, lang: str = "fr") -> str:
    if _missing(value):
        return "—"
    text = f"{int(round(value)):,}"
    return text.replace(",", NNBSP) if lang == "fr" else text


def fmt_float(value, digits: int = 1, lang: str = "fr") -> str:
    if _missing(value):
        return "—"
    text = f"{value:,.{digits}f}"
    if lang == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return text


def fmt_signed(value, lang: str = "fr") -> str:
    """A change: +12, −3 (a true minus sign), or ± 0."""
    if _missing(value):
        return "—"
    n = int(round(value))
    if n == 0:
        return "±\u00a00"
    return ("+" if n > 0 else "\u2212") + fmt_int(abs(n), lang)


def fmt_datetime(value, lang: str = "fr") -> str:
    if _missing(value):
        return "—"
    if lang == "fr":
        return f"{value.day} {MONTHS_FR[value.month - 1]} {value.year} {value:%H:%M}"
    return f"{value:%d %b %Y %H:%M}"


def fmt_date(value: dt.date, lang: str = "fr") -> str:
    if lang == "fr":
        return f"{value.day} {MONTHS_FR[value.month - 1]} {value.year}"
    return f"{value:%d %b %Y}"


def fmt_date_long(value: dt.date, lang: str = "fr") -> str:
    """« dimanche 8 janvier 2023 », "Sunday 8 January 2023"."""
    if lang == "fr":
        day = "1er" if value.day == 1 else str(value.day)
        return f"{DAYS_FR[value.weekday()]} {day} {MONTHS_FR_LONG[value.month - 1]} {value.year}"
    return f"{value:%A} {value.day} {value:%B %Y}"


def fmt_time(value) -> str:
    if _missing(value):
        return "—"
    return f"{value:%H:%M}"


def fmt_duration_minutes(minutes, lang: str = "fr") -> str:
    if _missing(minutes):
        return "—"
    if minutes < 60:
        return f"{int(round(minutes))} min"
    return f"{fmt_float(minutes / 60, 1, lang)} h"
