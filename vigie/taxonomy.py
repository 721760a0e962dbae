"""Stable codes of the incident taxonomy, severities and statuses, with French and English labels.

Codes never change; labels may. Feeds may name a category by its code, its French or English label,
or its SMS code, so `parse_category` accepts all of them.
"""

from __future__ import annotations

from vigie.text import match_key

# code: (français, English, SMS code)
CATEGORIES: dict[str, tuple[str, str, str]] = {
    "violence": ("Violence physique, affrontements", "Physical violence, clashes", "VIO"),
    "menace": ("Menaces, intimidation", "Threats, intimidation", "MEN"),
    "perturbation": ("Perturbation de meeting ou de campagne", "Disruption of a rally or campaign", "PER"),
    "destruction": ("Destruction de biens ou de matériel électoral", "Destruction of property or electoral material", "DES"),
    "desinformation": ("Désinformation, rumeur, fausse nouvelle", "Disinformation, rumour, fake news", "DIS"),
    "discours_haine": ("Discours de haine, incitation", "Hate speech, incitement", "HAI"),
    "achat_conscience": ("Achat de conscience, corruption électorale", "Vote buying", "ACH"),
    "irregularite": ("Irrégularité ou fraude dans le vote", "Voting irregularity or fraud", "IRR"),
    "logistique": ("Problème logistique électoral", "Electoral logistics problem", "LOG"),
    "securite": ("Menace sécuritaire (groupes armés, enlèvement)", "Security threat (armed groups, kidnapping)", "SEC"),
    "manifestation": ("Manifestation, mouvement de foule", "Protest, crowd movement", "MAN"),
    "arrestation": ("Arrestation, interpellation", "Arrest, detention", "ARR"),
    "autre": ("Autre", "Other", "AUT"),
}

# Short labels for legends and tables.
CATEGORY_SHORT: dict[str, tuple[str, str]] = {
    "violence": ("Violence", "Violence"),
    "menace": ("Menaces", "Threats"),
    "perturbation": ("Perturbation", "Disruption"),
    "destruction": ("Destruction", "Destruction"),
    "desinformation": ("Désinformation", "Disinformation"),
    "discours_haine": ("Discours de haine", "Hate speech"),
    "achat_conscience": ("Achat de conscience", "Vote buying"),
    "irregularite": ("Irrégularité", "Irregularity"),
    "logistique": ("Logistique", "Logistics"),
    "securite": ("Sécurité", "Security"),
    "manifestation": ("Manifestation", "Protest"),
    "arrestation": ("Arrestation", "Arrest"),
    "autre": ("Autre", "Other"),
}

# Colours per category (colour-blind-friendly where it matters: violence and security stand out).
CATEGORY_COLORS: dict[str, str] = {
    "violence": "#b2182b",
    "menace": "#ef8a62",
    "perturbation": "#fdb863",
    "destruction": "#8c510a",
    "desinformation": "#5e3c99",
    "discours_haine": "#c51b7d",
    "achat_conscience": "#35978f",
    "irregularite": "#2166ac",
    "logistique": "#67a9cf",
    "securite": "#1a1a1a",
    "manifestation": "#7fbc41",
    "arrestation": "#878787",
    "autre": "#bababa",
}

SEVERITIES: dict[int, tuple[str, str]] = {
    1: ("faible", "low"),
    2: ("modérée", "moderate"),
    3: ("grave", "serious"),
    4: ("critique", "critical"),
}

# Weights of the severity-weighted count: each level counts twice the one below.
SEVERITY_WEIGHTS: dict[int, int] = {1: 1, 2: 2, 3: 4, 4: 8}

STATUSES: dict[str, tuple[str, str]] = {
    "nouveau": ("Nouveau", "New"),
    "en_verification": ("En vérification", "Under verification"),
    "verifie": ("Vérifié", "Verified"),
    "faux": ("Faux", "False"),
    "doublon": ("Doublon", "Duplicate"),
    "transmis": ("Transmis à une unité", "Escalated to a unit"),
    "clos": ("Clos", "Resolved"),
}

# Election phases (codes of the country pack's election profile).
PHASES: dict[str, tuple[str, str]] = {
    "precampagne": ("Pré-campagne", "Pre-campaign"),
    "campagne": ("Campagne", "Campaign"),
    "silence": ("Silence électoral", "Campaign silence"),
    "scrutin": ("Scrutin", "Election day"),
    "resultats": ("Résultats", "Results"),
}

# Statuses in which a verified incident may be published to journalists (unless held back).
PUBLISHABLE_STATUSES = ("verifie", "transmis", "clos")
OPEN_STATUSES = ("nouveau", "en_verification", "verifie", "transmis")

GEO_PRECISIONS = ("point", "locality", "arrondissement", "commune", "departement", "none")


def _category_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, (fr, en, sms) in CATEGORIES.items():
        for name in (code, fr, en, sms, *CATEGORY_SHORT[code]):
            index[match_key(name)] = code
    # Frequent spellings met in feeds.
    extra = {
        "violences": "violence", "affrontement": "violence", "affrontements": "violence", "clash": "violence",
        "menaces": "menace", "intimidation": "menace", "threat": "menace", "threats": "menace",
        "disinformation": "desinformation", "rumeur": "desinformation", "fake news": "desinformation",
        "fausse nouvelle": "desinformation", "hate speech": "discours_haine", "vote buying": "achat_conscience",
        "corruption": "achat_conscience", "fraude": "irregularite", "fraud": "irregularite",
        "irregularity": "irregularite", "logistics": "logistique", "security": "securite",
        "enlevement": "securite", "protest": "manifestation", "arrest": "arrestation", "other": "autre",
    }
    index.update({match_key(k): v for k, v in extra.items()})
    return index


CATEGORY_INDEX = _category_index()

SEVERITY_INDEX: dict[str, int] = {
    **{str(level): level for level in SEVERITIES},
    **{match_key(fr): level for level, (fr, _en) in SEVERITIES.items()},
    **{match_key(en): level for level, (_fr, en) in SEVERITIES.items()},
    "moderee": 2, "modere": 2, "medium": 2, "basse": 1, "elevee": 3, "high": 3, "haute": 3, "severe": 3,
    "critical": 4, "tres grave": 4,
}


def parse_category(value: str | None) -> str | None:
    """Category code for a code, label or SMS code; None when the value is empty or unknown."""
    if not value:
        return None
    return CATEGORY_INDEX.get(match_key(value))


def category_label(code: str | None, lang: str = "fr", short: bool = False) -> str:
    if code is None:
        return "Non catégorisé" if lang == "fr" else "Uncategorised"
    if short:
        fr, en = CATEGORY_SHORT.get(code, (code, code))
        return fr if lang == "fr" else en
    fr, en, _sms = CATEGORIES.get(code, (code, code, ""))
    return fr if lang == "fr" else en


def severity_label(level: int | None, lang: str = "fr") -> str:
    if level is None:
        return "—"
    fr, en = SEVERITIES.get(int(level), (str(level), str(level)))
    return fr if lang == "fr" else en


def status_label(code: str | None, lang: str = "fr") -> str:
    fr, en = STATUSES.get(code or "", (code or "—", code or "—"))
    return fr if lang == "fr" else en


def phase_label(code: str | None, lang: str = "fr") -> str:
    fr, en = PHASES.get(code or "", (code or "—", code or "—"))
    return fr if lang == "fr" else en
