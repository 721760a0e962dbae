"""API page envelopes: `{"results": [...]}` and its kin hold N records, never one.

Kobo, Ushahidi, RapidPro and Aggie pages are recognised by their own adapters first; this is the generic
fallback for any other page, so that a page of N items is N records, each accepted, duplicate or quarantined.
"""

from __future__ import annotations

# Keys under which API pages carry their items, in the order they are looked for.
ENVELOPE_KEYS = ("results", "data", "items", "messages", "runs", "records", "features")


def items(doc: object) -> list | None:
    """The items of an API page (a JSON object whose envelope key holds a list), or None.

    A page nested one level deeper (`{"data": {"items": [...]}}`) is unwrapped too.
    """
    if not isinstance(doc, dict):
        return None
    for key in ENVELOPE_KEYS:
        value = doc.get(key)
        if isinstance(value, list):
            return value
    for key in ENVELOPE_KEYS:
        value = doc.get(key)
        if isinstance(value, dict):
            inner = items(value)
            if inner is not None:
                return inner
    return None
