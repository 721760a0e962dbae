"""Interface strings in French first, English as a choice; French number and date formats."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from vigie import fmt, taxonomy

LANGS = {"fr": "Français", "en": "English"}

STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("Vigie — salle de situation électorale", "Vigie — election situation room"),
    "simulated": ("**Scénario simulé** — données fictives de démonstration (Bénin 2023), aucun incident réel.",
                  "**Simulated scenario** — fictitious demo data (Benin 2023), no real incident."),
    "demo_accounts": ("Comptes de démonstration actifs : changez les mots de passe avant tout usage réel.",
                      "Demo accounts are active: change the passwords before any real use."),
    "login": ("Connexion", "Log in"),
    "username": ("Identifiant", "Username"),
    "password": ("Mot de passe", "Password"),
    "login_button": ("Se connecter", "Log in"),
    "logout": ("Se déconnecter", "Log out"),
    "login_required": ("Connectez-vous pour accéder au tableau de bord.", "Log in to open the dashboard."),
    "role_admin": ("Administration", "Administrator"),
    "role_operator": ("Opérateur", "Operator"),
    "role_observer": ("Observateur", "Observer"),
    "role_journalist": ("Journaliste (lecture seule, incidents publiés)", "Journalist (read-only, published incidents)"),
    "page_overview": ("Vue d'ensemble", "Overview"),
    "page_map": ("Carte", "Map"),
    "page_timeline": ("Chronologie", "Timeline"),
    "filters": ("Filtres", "Filters"),
    "period": ("Période", "Period"),
    "phase": ("Phase électorale", "Election phase"),
    "all_phases": ("Toute la période", "Whole period"),
    "custom_period": ("Période personnalisée", "Custom period"),
    "departement": ("Département", "Département"),
    "commune": ("Commune", "Commune"),
    "category": ("Catégorie", "Category"),
    "severity": ("Gravité", "Severity"),
    "status": ("Statut", "Status"),
    "source": ("Source", "Source"),
    "reset_filters": ("Réinitialiser les filtres", "Reset filters"),
    "kpi_last_24h": ("Incidents (24 h)", "Incidents (24 h)"),
    "kpi_critical_open": ("Critiques en cours", "Critical, open"),
    "kpi_communes": ("Communes touchées", "Communes affected"),
    "kpi_to_verify": ("À vérifier", "To verify"),
    "kpi_median_verify": ("Délai médian de vérification", "Median time to verify"),
    "kpi_total": ("Incidents (période)", "Incidents (period)"),
    "latest_incidents": ("Derniers incidents", "Latest incidents"),
    "no_incident": ("Aucun incident pour ces filtres.", "No incident for these filters."),
    "map_measure": ("Mesure", "Measure"),
    "measure_count": ("Nombre d'incidents", "Number of incidents"),
    "measure_rate": ("Taux pour 100 000 habitants", "Rate per 100,000 inhabitants"),
    "measure_weighted": ("Nombre pondéré par la gravité", "Severity-weighted count"),
    "show_points": ("Afficher les incidents localisés", "Show located incidents"),
    "points_shown": ("Points : les {n} incidents localisés les plus récents (la carte reste légère).",
                     "Points: the {n} most recent located incidents (the map stays light)."),
    "commune_profile": ("Profil de la commune", "Commune profile"),
    "select_commune_hint": ("Cliquez sur une commune de la carte pour ouvrir son profil.",
                            "Click a commune on the map to open its profile."),
    "bucket": ("Pas de temps", "Time step"),
    "per_day": ("Par jour", "Per day"),
    "per_hour": ("Par heure", "Per hour"),
    "election_day": ("Jour du scrutin", "Election day"),
    "as_of": ("Situation au", "Situation as of"),
    "updated": ("Mis à jour", "Updated"),
    "col_when": ("Date", "Date"),
    "col_title": ("Description", "Description"),
    "col_reports": ("Signalements", "Reports"),
    "col_sources": ("Sources distinctes", "Distinct sources"),
    "col_published": ("Publié", "Published"),
    "incidents_word": ("incidents", "incidents"),
    "population": ("Population", "Population"),
    "latest": ("Dernier incident", "Latest incident"),
    "data_error": ("Les données ne peuvent pas être affichées pour le moment.", "The data cannot be shown right now."),
    "journalist_scope": ("Vous voyez les incidents vérifiés et publiés, localisés à la commune.",
                         "You see verified, published incidents, located at commune level."),
    "language": ("Langue", "Language"),
    "rate_unavailable": ("Pas de population dans ce pack pays : taux indisponible.",
                         "No population in this country pack: rate unavailable."),
    "page_report": ("Rapport", "Report"),
    # -- Alertes (early warning: pages/alerts.py, vigie/alerts.py, vigie/notify.py) --
    "page_alerts": ("Alertes", "Alerts"),
    "alerts_intro": ("Alertes précoces : communes au-dessus de leur niveau habituel, incidents critiques sans "
                     "unité, meetings proches sans protection accordée, rumeurs qui se propagent.",
                     "Early warning: communes above their usual level, critical incidents without a unit, "
                     "upcoming rallies without granted protection, claims spreading fast."),
    "alerts_forbidden": ("Page réservée aux opérateurs, administrateurs et observateurs.",
                         "Operators, administrators and observers only."),
    "alerts_open": ("Alertes ouvertes", "Open alerts"),
    "alerts_none_open": ("Aucune alerte ouverte.", "No open alert."),
    "alerts_history": ("Historique des alertes", "Alert history"),
    "alerts_ack": ("Acquitter une alerte", "Acknowledge an alert"),
    "alerts_ack_choice": ("Alerte", "Alert"),
    "alerts_ack_note": ("Note (ce qui est fait, gardée dans l'historique)",
                        "Note (what is being done, kept in the history)"),
    "alerts_ack_button": ("Acquitter", "Acknowledge"),
    "alerts_acked": ("Alerte acquittée.", "Alert acknowledged."),
    "alerts_read_only": ("Lecture seule : seuls les opérateurs acquittent les alertes.",
                         "Read-only: only operators acknowledge alerts."),
    "alerts_deliveries": ("Notifications envoyées", "Notifications sent"),
    "alerts_delivery_failed": ("notification(s) non envoyée(s) : nouvel essai prévu ou abandon, voir ci-dessous.",
                               "notification(s) not sent: retry planned or abandoned, see below."),
    "alerts_no_delivery": ("Aucune notification (ni courriel ni webhook configuré, ou rien à envoyer).",
                           "No notification (no e-mail or webhook configured, or nothing to send)."),
    "alerts_link": ("alerte(s) ouverte(s)", "open alert(s)"),
    "alert_rule_commune_surge": ("Commune au-dessus de son niveau", "Commune above its baseline"),
    "alert_rule_unassigned_critical": ("Critique sans unité", "Critical without a unit"),
    "alert_rule_rally_unprotected": ("Meeting sans protection", "Rally without protection"),
    "alert_rule_claim_spreading": ("Rumeur qui se propage", "Claim spreading"),
    "alert_state_ouverte": ("ouverte", "open"),
    "alert_state_acquittee": ("acquittée", "acknowledged"),
    "alert_state_levee": ("levée (situation revenue)", "cleared (situation over)"),
    "alert_col_raised": ("Levée à (UTC)", "Raised at (UTC)"),
    "alert_col_rule": ("Règle", "Rule"),
    "alert_col_alert": ("Alerte", "Alert"),
    "alert_col_state": ("État", "State"),
    "alert_col_acked_by": ("Acquittée par", "Acknowledged by"),
    "alert_col_acked_at": ("Acquittée à (UTC)", "Acknowledged at (UTC)"),
    "alert_col_note": ("Note", "Note"),
    "alert_col_cleared": ("Situation revenue à (UTC)", "Cleared at (UTC)"),
    "alert_col_channel": ("Canal", "Channel"),
    "alert_col_target": ("Destinataires", "Recipients"),
    "alert_col_n": ("Alertes", "Alerts"),
    "alert_col_attempt": ("Essais", "Tries"),
    "alert_col_at": ("Dernier essai (UTC)", "Last try (UTC)"),
    "alert_col_status": ("Statut", "Status"),
    "alert_col_next": ("Prochain essai (UTC)", "Next try (UTC)"),
    "alert_col_error": ("Erreur", "Error"),
    # -- end of Alertes --
    "report_intro": ("Le rapport de situation quotidien en PDF : carte des communes, chiffres clés et variation "
                     "depuis la veille, incidents par département et catégorie, incidents marquants, meetings, "
                     "alertes, verdicts de désinformation. Il contient ce que votre rôle peut voir.",
                     "The daily situation report as a PDF: commune map, key figures and change since the day "
                     "before, incidents by département and category, notable incidents, rallies, alerts, "
                     "disinformation verdicts. It holds what your role may see."),
    "report_day": ("Jour du rapport", "Day of the report"),
    "report_critical": ("Critiques", "Critical"),
    "report_download": ("Télécharger le rapport (PDF)", "Download the report (PDF)"),
    "report_preview": ("Chiffres du jour (variation depuis la veille)", "Figures of the day (change since the day before)"),
    "report_as_of": ("Le rapport est établi sur les données au", "The report is built on the data as of"),
    "page_sources": ("Sources", "Sources"),
    "recent_files": ("Derniers fichiers reçus", "Latest files received"),
    "quarantine": ("Quarantaine", "Quarantine"),
    "quarantined_records": ("enregistrements en quarantaine (fichier, ligne, champ, motif)", "quarantined records (file, line, field, reason)"),
    "src_source": ("Source", "Source"),
    "src_n_files": ("Fichiers", "Files"),
    "src_n_received": ("Reçus", "Received"),
    "src_n_accepted": ("Acceptés", "Accepted"),
    "src_n_duplicate": ("Doublons", "Duplicates"),
    "src_n_quarantined": ("En quarantaine", "Quarantined"),
    "src_n_failed_files": ("Fichiers en échec", "Failed files"),
    "src_last_file_at": ("Dernier fichier (UTC)", "Last file (UTC)"),
    "src_last_report_at": ("Dernier signalement reçu (UTC)", "Last report received (UTC)"),
    "src_n_today": ("Signalements du jour", "Reports today"),
    "oidc_login": ("Se connecter avec le fournisseur d'identité", "Log in with the identity provider"),
    "oidc_no_role": ("Votre adresse n'a pas de rôle dans Vigie : demandez-en un à l'administrateur.",
                     "Your address has no role in Vigie: ask the administrator for one."),
    "page_admin": ("Comptes", "Accounts"),
    "create_account": ("Créer un compte", "Create an account"),
    "full_name": ("Nom affiché", "Display name"),
    "role": ("Rôle", "Role"),
    "create": ("Créer", "Create"),
    "edit_account": ("Modifier un compte", "Edit an account"),
    "account": ("Compte", "Account"),
    "disabled": ("Désactivé", "Disabled"),
    "new_password": ("Nouveau mot de passe (vide : inchangé)", "New password (empty: unchanged)"),
    "save": ("Enregistrer", "Save"),
    "remove": ("Supprimer le compte", "Remove the account"),
    "saved": ("Enregistré.", "Saved."),
    "archive": ("Classer (archiver)", "Archive"),
    "duplicates_of": ("Doublons de l'incident n°", "Duplicates of incident no."),
    "choose": ("Toutes", "All"),
    "choose_status": ("Tous sauf faux et doublons", "All but false and duplicates"),
    "page_incidents": ("Incidents", "Incidents"),
    "page_triage": ("Triage", "Triage"),
    "search": ("Rechercher (description, lieu)", "Search (description, place)"),
    "results": ("résultats", "results"),
    "more_than": ("plus de", "more than"),
    "export_csv": ("Exporter en CSV", "Export as CSV"),
    "export_geojson": ("Exporter en GeoJSON", "Export as GeoJSON"),
    "select_incident_hint": ("Sélectionnez une ligne pour ouvrir l'incident.", "Select a row to open the incident."),
    "incident_not_found": ("Incident introuvable ou non visible pour votre rôle.", "Incident not found or not visible to your role."),
    "incident": ("Incident", "Incident"),
    "unlocated": ("non localisé", "not located"),
    "published": ("Publié", "Published"),
    "yes": ("oui", "yes"),
    "no": ("non", "no"),
    "held_back": ("retenu (non publié)", "held back (not published)"),
    "unit": ("Unité saisie", "Assigned unit"),
    "linked_reports": ("Signalements liés", "Linked reports"),
    "history": ("Historique", "History"),
    "actions": ("Actions", "Actions"),
    "action_done": ("Action enregistrée.", "Action recorded."),
    "reason": ("Motif (facultatif, gardé dans l'historique)", "Reason (optional, kept in the history)"),
    "apply": ("Appliquer", "Apply"),
    "hold_back": ("Retenir (ne pas publier)", "Hold back (do not publish)"),
    "release": ("Lever la retenue", "Release for publication"),
    "escalate": ("Transmettre à l'unité", "Escalate to the unit"),
    "internal_note": ("Note interne", "Internal note"),
    "add_note": ("Ajouter la note", "Add the note"),
    "merge_from": ("Fusionner l'incident n° (dans celui-ci)", "Merge incident no. (into this one)"),
    "merge": ("Fusionner", "Merge"),
    "split_report": ("Signalement à séparer", "Report to split out"),
    "split": ("Séparer en nouvel incident", "Split into a new incident"),
    "locate_in": ("Localiser dans la commune", "Locate in commune"),
    "locate": ("Localiser", "Locate"),
    "triage_queue": ("File de triage : nouveaux et en vérification, critiques d'abord", "Triage queue: new and under verification, critical first"),
    "batch_selected": ("incident(s) sélectionné(s)", "incident(s) selected"),
    "to_locate": ("À localiser", "To locate"),
    "operators_only": ("Page réservée aux opérateurs et administrateurs.", "Operators and administrators only."),
    "kpi_median_resolve": ("Délai médian de résolution", "Median time to resolve"),
    "phases_legend": ("Bandes : phases électorales", "Bands: election phases"),
    # -- Désinformation (claims) and the factchecker role ---------------------------------------------
    "role_factchecker": ("Vérificateur (verdicts sur les affirmations)", "Fact-checker (verdicts on claims)"),
    "role_refused": ("Cette page n'est pas ouverte à votre rôle.", "This page is not open to your role."),
    "page_claims": ("Désinformation", "Disinformation"),
    "claims_intro": ("Affirmations repérées sur les réseaux sociaux, leur diffusion et les verdicts des "
                     "vérificateurs.", "Claims spotted on social media, how far they spread and the "
                     "fact-checkers' verdicts."),
    "claims_journalist_scope": ("Seules les affirmations vérifiées sont affichées, avec leur verdict, sa "
                                "justification et le lien du démenti.", "Only checked claims are shown, with "
                                "their verdict, its justification and the debunk link."),
    "claims_verdict_filter": ("Verdict", "Verdict"),
    "claims_platform_filter": ("Plateforme", "Platform"),
    "claims_search": ("Rechercher dans le texte ou le lien", "Search the text or the link"),
    "claims_none": ("Aucune affirmation pour ces filtres.", "No claim for these filters."),
    "claims_per_day": ("Affirmations vues par jour, par verdict", "Claims seen per day, by verdict"),
    "claims_count": ("affirmations", "claims"),
    "claims_select_hint": ("sélectionnez une ligne pour ouvrir l'affirmation",
                           "select a row to open the claim"),
    "claim": ("Affirmation", "Claim"),
    "claim_not_found": ("Affirmation introuvable.", "Claim not found."),
    "claim_col_platform": ("Plateforme", "Platform"),
    "claim_col_link": ("Lien", "Link"),
    "claim_col_text": ("Texte", "Text"),
    "claim_col_first_seen": ("Vue le", "First seen"),
    "claim_col_reach": ("Portée", "Reach"),
    "claim_col_verdict": ("Verdict", "Verdict"),
    "claim_col_justification": ("Justification", "Justification"),
    "claim_col_debunk": ("Démenti", "Debunk"),
    "claim_col_commune": ("Commune", "Commune"),
    "claim_col_by": ("Par", "By"),
    "claim_col_score": ("Similarité", "Similarity"),
    "claim_col_kind": ("Action", "Action"),
    "verdict_none": ("non vérifiée", "not checked"),
    "verdict_vrai": ("vrai", "true"),
    "verdict_faux": ("faux", "false"),
    "verdict_trompeur": ("trompeur", "misleading"),
    "verdict_invérifiable": ("invérifiable", "unverifiable"),
    "claim_spread": ("Diffusion (portée à chaque observation)", "Spread (reach at each sighting)"),
    "claim_history": ("Historique", "History"),
    "claim_give_verdict": ("Donner un verdict", "Give a verdict"),
    "claim_justification": ("Justification (lue par la presse)", "Justification (read by the press)"),
    "claim_debunk_url": ("Lien du démenti (http:// ou https://)", "Debunk link (http:// or https://)"),
    "claim_save_verdict": ("Enregistrer le verdict", "Save the verdict"),
    "claim_linked": ("Signalements et incidents liés", "Linked reports and incidents"),
    "claim_suggestions": ("Signalements de désinformation semblables (suggestions)",
                          "Similar disinformation reports (suggestions)"),
    "claim_no_suggestion": ("Aucun signalement semblable.", "No similar report."),
    "claim_link_selected": ("Lier les signalements choisis", "Link the chosen reports"),
    "claim_unlink_selected": ("Retirer les liens choisis", "Remove the chosen links"),
    "claim_link_incident": ("Lier un incident (n°)", "Link an incident (no.)"),
    "claim_link": ("Lier", "Link"),
    "incident_claims": ("Affirmations reprises par cet incident", "Claims this incident repeats"),
    # -- end of Désinformation -------------------------------------------------------------------------------
    # feeds-formats: HXL export of incidents
    "export_hxl": ("Exporter en HXL", "Export as HXL"),
}


def lang() -> str:
    return st.session_state.get("lang", "fr")


def t(key: str) -> str:
    fr, en = STRINGS[key]
    return fr if lang() == "fr" else en


def phase_label(code: str) -> str:
    return taxonomy.phase_label(code, lang())


def fmt_int(value) -> str:
    return fmt.fmt_int(value, lang())


def fmt_float(value, digits: int = 1) -> str:
    return fmt.fmt_float(value, digits, lang())


def fmt_datetime(value) -> str:
    return fmt.fmt_datetime(value, lang())


def fmt_date(value: dt.date) -> str:
    return fmt.fmt_date(value, lang())


def fmt_duration_minutes(minutes) -> str:
    return fmt.fmt_duration_minutes(minutes, lang())
