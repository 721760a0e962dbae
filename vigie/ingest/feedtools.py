"""Small helpers shared by the adapters of other systems (Ushahidi, KoBo/ODK, ACLED, SMS).

They only reshape text: typing and validation stay in `vigie.ingest.normalize`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from vigie.ingest.records import FeedError, Rejection, json_reason
from vigie.taxonomy import parse_category
from vigie.text import match_key

# Labels that forms and deployments commonly give their categories, beyond the taxonomy's own
# codes and labels (which `parse_category` already knows). Keys are match keys.
CATEGORY_WORDS: dict[str, str] = {
    match_key(k): v
    for k, v in {
        "violences électorales": "violence", "agression": "violence", "bagarre": "violence",
        "coups et blessures": "violence", "attaque": "violence",
        "menace": "menace", "intimidation d'électeurs": "menace", "pression": "menace",
        "perturbation de meeting": "perturbation", "meeting perturbé": "perturbation",
        "perturbation de campagne": "perturbation",
        "destruction de matériel": "destruction", "destruction de matériel électoral": "destruction",
        "vandalisme": "destruction", "incendie": "destruction", "saccage": "destruction",
        "infox": "desinformation", "fausses nouvelles": "desinformation", "rumeurs": "desinformation",
        "discours haineux": "discours_haine", "incitation à la violence": "discours_haine",
        "incitation a la haine": "discours_haine",
        "achat de votes": "achat_conscience", "achat de vote": "achat_conscience",
        "achat de conscience": "achat_conscience", "distribution d'argent": "achat_conscience",
        "bourrage d'urnes": "irregularite", "fraude électorale": "irregularite", "vote multiple": "irregularite",
        "irrégularités": "irregularite", "irregularites": "irregularite",
        "matériel électoral": "logistique", "retard d'ouverture": "logistique", "ouverture tardive": "logistique",
        "bureau de vote": "logistique", "problème logistique": "logistique", "logistique électorale": "logistique",
        "groupes armés": "securite", "attaque armée": "securite", "enlèvement": "securite", "kidnapping": "securite",
        "terrorisme": "securite", "insécurité": "securite",
        "sit-in": "manifestation", "mouvement de foule": "manifestation",
        "manifestations": "manifestation",
        "arrestations": "arrestation", "interpellation": "arrestation", "garde à vue": "arrestation",
    }.items()
}


def known_category(value: str | None) -> str | None:
    """Taxonomy code for a code, label, SMS code or common wording; None when unknown."""
    if not value:
        return None
    return parse_category(value) or CATEGORY_WORDS.get(match_key(value))


def pick_category(values: Iterable[str | None], extra: dict[str, str] | None = None) -> str | None:
    """The first value that names a known category (as its code), else the first value as given.

    Systems export several categories per record (Ushahidi "Violence, Intimidation", KoBo
    select_multiple "violence menace"); the first one Vigie knows wins. An unknown value passes
    through, so that normalize files it under 'autre' with a flag instead of dropping it.
    """
    given = [v.strip() for v in values if v and v.strip()]
    for value in given:
        key = match_key(value)
        code = (extra or {}).get(key) or (extra or {}).get(value) or known_category(value)
        if code:
            return code
    return given[0] if given else None


def split_multi(value: str | None, separators: str = ",;|") -> list[str]:
    if not value:
        return []
    return [part.strip() for part in re.split(f"[{re.escape(separators)}]", value) if part.strip()]


_NAIVE_SQL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def utc_text(value: object) -> str | None:
    """A date-time the system writes in UTC without saying so → ISO text with 'Z'.

    Values that already carry a zone, or are not date-times (a bare date, garbage), pass through
    unchanged: normalize reads the first and quarantines the last with its reason.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if _NAIVE_SQL_TIME.match(text):
        return text.replace(" ", "T", 1) + "Z"
    return text


def as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if text.strip() else None


def looks_like_phone(value: str | None) -> bool:
    return bool(value) and re.fullmatch(r"\+?[\d\s().-]{6,20}", value.strip()) is not None


def load_json(text: str) -> object:
    """The whole document, or a FeedError naming where it broke (truncated files, HTML error pages)."""
    try:
        # strict=False: raw control characters inside strings are stripped later, not a reason to reject.
        return json.loads(text, strict=False)
    except json.JSONDecodeError as exc:
        raise FeedError(f"JSON illisible à la ligne {exc.lineno}, colonne {exc.colno} : {json_reason(exc)}") from exc
    except RecursionError as exc:
        raise FeedError("JSON imbriqué trop profondément") from exc


def json_objects(items: list[object]) -> tuple[list[tuple[int, dict]], list[Rejection]]:
    """(position from 1, object) for each element that is an object; a rejection for each that is not."""
    good: list[tuple[int, dict]] = []
    bad: list[Rejection] = []
    for i, item in enumerate(items, start=1):
        if isinstance(item, dict):
            good.append((i, item))
        else:
            bad.append(Rejection(i, None, "un enregistrement JSON doit être un objet {…}", as_text(item)))
    return good, bad


def json_lines(text: str) -> tuple[list[tuple[int, dict, str]], list[Rejection], int]:
    """(line number, object, line) for each JSON Lines record, rejections, and the records received."""
    good: list[tuple[int, dict, str]] = []
    bad: list[Rejection] = []
    received = 0
    # Split on newlines only: str.splitlines() also splits inside strings on U+2028 and friends.
    for i, line in enumerate(text.lstrip("\ufeff").split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        received += 1
        try:
            obj = json.loads(line, strict=False)
        except json.JSONDecodeError as exc:
            bad.append(Rejection(i, None, f"JSON illisible : {json_reason(exc)} (colonne {exc.colno})", line[:10_000]))
            continue
        if not isinstance(obj, dict):
            bad.append(Rejection(i, None, "un enregistrement JSON doit être un objet {…}", line[:10_000]))
            continue
        good.append((i, obj, line))
    return good, bad, received
