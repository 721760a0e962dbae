"""The daily report's words, French first, English as a choice (the interface's are in vigie/ui/i18n.py,
which needs a Streamlit session; the report is also built from the command line).

French typography is written here, not left to the typesetter: a narrow no-break space before `:`, `;`,
`!`, `?` and inside « guillemets ».
"""

from __future__ import annotations

NB = "\u202f"  # narrow no-break space

STRINGS: dict[str, tuple[str, str]] = {
    "title": ("Rapport de situation quotidien", "Daily situation report"),
    "brand": ("VIGIE — SALLE DE SITUATION ÉLECTORALE", "VIGIE — ELECTION SITUATION ROOM"),
    "phase": ("Phase :", "Phase:"),
    "day_of_election": ("jour du scrutin", "election day"),
    "days_to_election": ("J\u2212{n}", "D\u2212{n}"),
    "days_after_election": ("J+{n}", "D+{n}"),
    "scope_operator": ("Diffusion restreinte — salle de situation (opérateurs, administration) : contient des "
                       "informations internes.",
                       "Restricted — situation room (operators, administrators): contains internal information."),
    "scope_observer": ("Diffusion : observateurs — tous les incidents, vérifiés ou non, avec leur statut ; sans "
                       "identité des personnes ayant signalé.",
                       "For observers — every incident, verified or not, with its status; no reporter identity."),
    "scope_journalist": ("Diffusion : presse — incidents vérifiés et publiés uniquement, localisés à la commune.",
                         "For the press — verified, published incidents only, located at commune level."),
    "simulated": ("SCÉNARIO SIMULÉ", "SIMULATED SCENARIO"),
    "simulated_note": ("Données fictives de démonstration : aucun incident réel.",
                       "Fictitious demonstration data: no real incident."),
    "valid_as_of": ("Données arrêtées au", "Data as of"),
    "day_ongoing": ("journée en cours", "day in progress"),
    "generated": ("Rapport établi le", "Report produced on"),
    "page": ("page", "page"),
    # Headline figures
    "headline": ("Chiffres clés de la journée", "Key figures of the day"),
    "kpi_incidents": ("Incidents", "Incidents"),
    "kpi_critical": ("Critiques", "Critical"),
    "kpi_serious": ("Graves ou critiques", "Serious or critical"),
    "kpi_communes": ("Communes touchées", "Communes affected"),
    "kpi_reports": ("Signalements liés", "Linked reports"),
    "kpi_verified": ("Vérifiés", "Verified"),
    "kpi_to_verify": ("À vérifier", "To verify"),
    "day_before": ("veille :", "day before:"),
    "headline_note": ("Incidents survenus dans la journée (heure locale, UTC{offset}), hors incidents faux et "
                      "doublons ; variation par rapport à la veille ; statuts à l'heure des données.",
                      "Incidents that occurred during the day (local time, UTC{offset}), false and duplicate "
                      "incidents left out; change on the day before; statuses as of the data time."),
    # Map
    "map": ("Incidents par commune", "Incidents per commune"),
    "map_note": ("Nombre d'incidents de la journée par commune ; en gris, aucun.",
                 "Number of incidents of the day per commune; grey: none."),
    "top_communes": ("Communes les plus touchées", "Most affected communes"),
    "no_commune": ("Aucune commune touchée ce jour.", "No commune affected this day."),
    # Tables
    "by_area": ("Incidents par département et catégorie", "Incidents by département and category"),
    "departement": ("Département", "Département"),
    "commune": ("Commune", "Commune"),
    "other_categories": ("Autres catégories", "Other categories"),
    "total": ("Total", "Total"),
    "of_which_critical": ("dont critiques", "of which critical"),
    "unlocated": ("Non localisés", "Not located"),
    "no_incident": ("Aucun incident ce jour.", "No incident this day."),
    "notable": ("Incidents marquants", "Notable incidents"),
    "notable_note": ("Incidents critiques survenus ce jour, et incidents vérifiés ou transmis à une unité "
                     "dans la journée.",
                     "Critical incidents that occurred this day, and incidents verified or escalated to a unit "
                     "during the day."),
    "notable_note_press": ("Incidents critiques survenus ce jour, et incidents vérifiés et publiés dans la "
                           "journée.",
                           "Critical incidents that occurred this day, and incidents verified and published "
                           "during the day."),
    "no_notable": ("Aucun incident marquant.", "No notable incident."),
    "more_rows": ("… et {n} de plus (voir la page Incidents).", "… and {n} more (see the Incidents page)."),
    "col_when": ("Heure", "Time"),
    "col_where": ("Lieu", "Where"),
    "col_category": ("Catégorie", "Category"),
    "col_severity": ("Gravité", "Severity"),
    "col_status": ("Statut", "Status"),
    "col_description": ("Description", "Description"),
    "col_reports": ("Sig./src", "Rep./src"),
    "col_why": ("Ce jour", "Today"),
    "why_critical": ("critique", "critical"),
    "why_verified": ("vérifié", "verified"),
    "why_escalated": ("transmis", "escalated"),
    "status_transmis": ("Transmis", "Escalated"),
    # Rallies
    "rallies": ("Meetings du jour et leur protection", "Rallies of the day and their protection"),
    "rallies_press": ("Meetings du jour", "Rallies of the day"),
    "no_rally": ("Aucun meeting annoncé ce jour.", "No rally announced this day."),
    "col_party": ("Parti", "Party"),
    "col_place": ("Lieu", "Place"),
    "col_attendance": ("Affluence", "Attendance"),
    "col_protection": ("Protection", "Protection"),
    "col_unit": ("Unité", "Unit"),
    "protection_accordee": ("accordée", "granted"),
    "protection_demandee": ("demandée", "requested"),
    "protection_refusee": ("refusée", "refused"),
    "protection_aucune": ("aucune", "none"),
    "protection_unknown": ("non renseignée", "not given"),
    "rallies_unprotected": ("{n} meeting(s) sans protection accordée.", "{n} rally(ies) without protection granted."),
    # Alerts
    "alerts": ("Alertes ouvertes", "Open alerts"),
    "no_alert": ("Aucune alerte ouverte.", "No open alert."),
    "alerts_unavailable": ("Alertes : non disponibles dans cette version.", "Alerts: not available in this version."),
    "alerts_refused": ("Alertes : non communiquées à ce rôle.", "Alerts: not shown to this role."),
    # Claims
    "claims": ("Désinformation : verdicts du jour", "Disinformation: verdicts of the day"),
    "claims_note_first_seen": ("Affirmations ayant reçu un verdict ce jour (verdict venu du flux : jour de "
                               "première apparition).",
                               "Claims given a verdict this day (a verdict that came with the feed: the day "
                               "the claim was first seen)."),
    "no_claim": ("Aucun verdict ce jour.", "No verdict this day."),
    "col_platform": ("Plateforme", "Platform"),
    "col_claim": ("Affirmation", "Claim"),
    "col_verdict": ("Verdict", "Verdict"),
    "col_reach": ("Portée", "Reach"),
    "col_debunk": ("Démenti", "Debunk"),
    "verdict_vrai": ("vrai", "true"),
    "verdict_faux": ("faux", "false"),
    "verdict_trompeur": ("trompeur", "misleading"),
    "verdict_invérifiable": ("invérifiable", "unverifiable"),
    # Validity
    "validity": ("Validité des données", "Data validity"),
    "validity_text": ("Les chiffres sont ceux que ce rôle peut voir, tels qu'enregistrés au moment indiqué ; les "
                      "statuts peuvent encore changer.",
                      "Figures are those this role may see, as recorded at the time shown; statuses may still "
                      "change."),
    "section_failed": ("Cette section n'a pas pu être produite.", "This section could not be produced."),
}


def text(key: str, lang: str) -> str:
    fr, en = STRINGS[key]
    if lang != "fr":
        return en
    for mark in ":;!?":
        fr = fr.replace(" " + mark, NB + mark)
    return fr
