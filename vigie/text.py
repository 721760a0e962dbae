"""Text helpers shared by feeds, name matching and the interface."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


def as_text(values) -> pa.StringArray:
    """A column of any feed (list, pandas Series, Arrow array) as an Arrow string array: missing values
    (None, NaN, NA) are null, anything else its text."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if pa.types.is_string(values.type) else pc.cast(values, pa.string())
    if isinstance(values, pd.Series) and isinstance(values.dtype, (pd.StringDtype, pd.ArrowDtype)):
        array = pa.array(values.array)
        return array if pa.types.is_string(array.type) else pc.cast(array, pa.string())
    objects = pd.Series(values, dtype=object)
    missing = objects.isna().to_numpy()
    return pa.array([None if gone else v if isinstance(v, str) else str(v) for v, gone in zip(objects, missing)],
                    pa.string())
