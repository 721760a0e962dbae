"""Text helpers shared by feeds, name matching and the interface."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# C0/C1 control characters except tab and newline: they break CSV exports and terminals.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def match_key(value: str | None) -> str:
    """Key for matching names without regard to accents, case, hyphens or punctuation.

    >>> match_key("Sèmè-Kpodji")
    'seme kpodji'
    """
    if not value:
        return ""
    folded = strip_accents(str(value)).lower().replace("œ", "oe").replace("æ", "ae")
    return _NON_ALNUM.sub(" ", folded).strip()


def clean_text(value: str | None) -> str | None:
    """Remove control characters and surrounding blanks; empty strings become None."""
    if value is None:
        return None
    cleaned = _CONTROL.sub("", str(value)).strip()
    return cleaned or None
