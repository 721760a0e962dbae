"""The demo: a SIMULATED Benin 2023 campaign, replayed into the inbox, and simulated operators.

Nothing here is real: every report, name and phone number is generated from a seed, so the same seed
gives the same scenario byte for byte (and re-dropping it changes nothing: the inbox dedupes by file
hash and by `(source, id)`). The scenario follows the real calendar of the 8 January 2023 legislative
elections (phases from the country pack) and the real communes, localities and population, so the
maps, the timeline and name matching behave as they would with real feeds.

`preload` ingests the weeks before a cut time; `replay` drops the rest into the inbox in accelerated
real time, so the dashboard moves; `simulate_operators` plays the situation room's analysts so that
incidents get verified, escalated and published as the simulated clock advances.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from vigie import demo_claims, demo_rallies
from vigie.geo import Locator, Pack, load_pack
from vigie.text import match_key, strip_accents

COLUMNS = ["id", "source", "date", "latitude", "longitude", "commune", "lieu", "categorie", "gravite",
           "description", "nom", "telephone"]
DATE_FORMAT = "%d/%m/%Y %H:%M"

# The scenario's window, in local time (UTC+1): pre-campaign to the first days of the results.
WINDOW_START = dt.datetime(2022, 12, 12)
WINDOW_END = dt.datetime(2023, 1, 15)  # exclusive
# Preload stops here, so the last days of the campaign, the vote and the results are replayed live.
DEFAULT_CUT = dt.datetime(2023, 1, 3)
# Independent events at scale 1.0; corroborations (~8 %) and exact duplicates (~1 %) come on top.
BASE_EVENTS = 2_750
CORROBORATION_RATE = 0.08
DUPLICATE_RATE = 0.01
PROVISIONAL_RESULTS_DAY = dt.date(2023, 1, 11)  # CENA's provisional results

DEMO_SOURCE = "demo"
ACTOR = "opérateur simulé"

SOURCES = ("sms", "observateurs", "reseaux_sociaux", "police", "partis", "medias")
SOURCE_WEIGHTS = np.array([0.30, 0.24, 0.18, 0.11, 0.09, 0.08])
# Channels that report some categories more than others (multipliers on SOURCE_WEIGHTS).
SOURCE_BIAS: dict[str, dict[str, float]] = {
    "desinformation": {"reseaux_sociaux": 4.0, "medias": 2.0, "police": 0.3},
    "discours_haine": {"reseaux_sociaux": 2.5, "medias": 1.5},
    "securite": {"police": 4.0, "medias": 1.5, "partis": 0.3},
    "irregularite": {"observateurs": 3.0, "partis": 2.0},
    "logistique": {"observateurs": 3.0},
    "arrestation": {"police": 3.0, "medias": 2.0},
    "achat_conscience": {"observateurs": 1.5, "partis": 2.0},
    "perturbation": {"partis": 2.0},
}

# Category mix by election phase (weights).
PHASE_CATEGORIES: dict[str, dict[str, float]] = {
    "precampagne": {"desinformation": 18, "menace": 12, "achat_conscience": 12, "perturbation": 10,
                    "discours_haine": 9, "violence": 8, "logistique": 9, "destruction": 6, "securite": 6,
                    "arrestation": 4, "autre": 6},
    "campagne": {"perturbation": 18, "menace": 14, "desinformation": 16, "discours_haine": 10,
                 "achat_conscience": 14, "violence": 12, "destruction": 6, "securite": 4, "arrestation": 3,
                 "manifestation": 2, "logistique": 3, "autre": 2},
    "silence": {"desinformation": 42, "achat_conscience": 20, "menace": 9, "perturbation": 6, "violence": 4,
                "logistique": 12, "securite": 4, "autre": 3},
    "scrutin": {"irregularite": 30, "logistique": 25, "violence": 12, "achat_conscience": 13,
                "desinformation": 6, "menace": 6, "destruction": 3, "arrestation": 3, "securite": 2},
    "resultats": {"manifestation": 26, "arrestation": 17, "violence": 18, "desinformation": 18, "menace": 8,
                  "destruction": 7, "discours_haine": 4, "securite": 2},
}

# Hour-of-day profile (local time) per phase: rallies in the afternoon and evening, the vote from dawn.
_DAY = [1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 10, 10, 10, 11, 12, 13, 13, 12, 10, 8, 5, 3, 2]
_VOTE = [1, 1, 1, 1, 2, 6, 14, 18, 15, 12, 10, 9, 9, 8, 8, 10, 14, 15, 13, 10, 7, 4, 2, 1]
_ONLINE = [3, 2, 1, 1, 1, 2, 4, 6, 8, 8, 8, 8, 8, 8, 8, 8, 9, 10, 11, 12, 12, 11, 8, 5]
PHASE_HOURS = {"precampagne": _DAY, "campagne": _DAY, "silence": _ONLINE, "scrutin": _VOTE, "resultats": _DAY}

# Severity 1..4 by category: skewed low; critical around 5 % overall.
SEVERITY_PROBS: dict[str, list[float]] = {
    "violence": [0.20, 0.38, 0.30, 0.12],
    "securite": [0.15, 0.35, 0.32, 0.18],
    "destruction": [0.35, 0.40, 0.20, 0.05],
    "manifestation": [0.35, 0.40, 0.20, 0.05],
    "desinformation": [0.55, 0.33, 0.10, 0.02],
    "logistique": [0.55, 0.33, 0.10, 0.02],
    "autre": [0.70, 0.25, 0.05, 0.00],
}
DEFAULT_SEVERITY = [0.48, 0.35, 0.14, 0.03]

# Location given by the report: a GPS point, only a locality/arrondissement name, or only the commune.
LOCATION_MODES = ("point", "lieu", "commune")
LOCATION_WEIGHTS = [0.55, 0.30, 0.15]

# Population weights are raised to this power: big cities report more, but less than in proportion.
POPULATION_POWER = 0.8
HOTSPOTS = {"Cotonou": 1.6, "Abomey-Calavi": 1.7, "Parakou": 1.6, "Djougou": 1.5, "Tchaourou": 1.8, "Savè": 1.3}
# Security incidents (armed groups) concentrate along the northern borders (Alibori, Atacora).
NORTHERN = {"Karimama": 5, "Malanville": 5, "Tanguiéta": 5, "Matéri": 4, "Banikoara": 2.5, "Kérou": 2.5,
            "Cobly": 2, "Ségbana": 1.5, "Kandi": 1.5, "Boukoumbé": 1.5, "Kalalé": 1}
# Results-phase protests happen in the cities.
URBAN = {"Cotonou": 2.0, "Porto-Novo": 1.8, "Parakou": 1.8, "Abomey-Calavi": 1.6, "Djougou": 1.3, "Bohicon": 1.3}

# ---------------------------------------------------------------------------------------------------
# Text templates. Placeholders: {lieu} a place, {de_lieu} "de …"/"d'…", {commune}, {de_commune},
# {bv} a polling station, {cv} a polling centre, {reseau}, {objet}, {montant}, {n}, {heure}, {camp}, {de_camp}.
TEMPLATES: dict[str, list[str]] = {
    "violence": [
        "Affrontements entre militants de deux partis à {lieu}",
        "Bagarre rangée entre partisans de candidats rivaux au marché {de_lieu}",
        "Un militant agressé à coups de gourdin à {lieu} après une réunion de quartier",
        "Échauffourées lors du passage d'un cortège de campagne à {lieu}",
        "Jets de pierres contre des véhicules de campagne à l'entrée {de_lieu}",
        "Un candidat et sa délégation pris à partie par des jeunes à {lieu}",
        "Violences devant le {bv}, un assesseur blessé",
        "Coups de feu tirés en l'air pour disperser des militants à {lieu}",
        "Un conducteur de zémidjan transportant des affiches violemment frappé à {lieu}",
        "Rixe entre jeunes de quartiers rivaux à {lieu} sur fond de campagne, {n} blessés",
    ],
    "menace": [
        "Des militants menacent de mort un délégué de parti à {lieu}",
        "Menaces proférées contre les membres du poste de vote du {bv}",
        "Un chef de quartier {de_lieu} menace de représailles ceux qui ne suivront pas sa consigne de vote",
        "Tracts menaçants déposés devant le domicile d'un candidat à {lieu}",
        "Intimidation d'électeurs par des hommes à moto aux abords du {bv}",
        "Un journaliste local menacé après un reportage sur la campagne à {lieu}",
        "Appels anonymes menaçant un responsable {de_camp} à {lieu}",
        "Des jeunes armés de gourdins interdisent le quartier {lieu} aux militants adverses",
        "Des commerçantes {de_lieu} menacées d'expulsion du marché si elles soutiennent {camp}",
        "Menaces contre des agents de la CENA en mission à {lieu}",
    ],
    "perturbation": [
        "Meeting {de_camp} perturbé par des jeunes à {lieu}",
        "Deux cortèges de campagne se croisent à {lieu}, tension et voie bloquée",
        "Sonorisation d'un meeting coupée par des inconnus à {lieu}",
        "Affiches de campagne arrachées et remplacées dans la nuit à {lieu}",
        "Meeting prévu à {lieu} interdit par la mairie, militants mécontents",
        "Tournée de campagne bloquée par une barricade à l'entrée {de_lieu}",
        "Sifflets et jets d'objets contre un candidat pendant son meeting à {lieu}",
        "Rassemblement non déclaré à {lieu}, la police demande l'itinéraire aux organisateurs",
        "Meeting interrompu à {lieu} après une coupure d'électricité jugée suspecte",
        "Des militants occupent la place réservée au meeting d'un parti adverse à {lieu}",
    ],
    "destruction": [
        "Panneaux et affiches de campagne détruits à {lieu}",
        "Véhicule de campagne incendié dans la nuit à {lieu}",
        "Siège local d'un parti saccagé à {lieu}",
        "Urnes et isoloirs endommagés au {bv}",
        "Kits électoraux dérobés puis retrouvés brûlés près {de_lieu}",
        "Vitres du domicile d'un candidat brisées à {lieu}",
        "Bulletins de vote déchirés lors d'une altercation au {bv}",
        "Motos de militants incendiées après une dispute à {lieu}",
        "Mobilier du {bv} cassé par des inconnus",
    ],
    "desinformation": [
        "Rumeur sur WhatsApp annonçant le report du scrutin",
        "Fausse information sur {reseau} : la CENA aurait annulé le vote dans la commune {de_commune}",
        "Vidéo ancienne présentée sur {reseau} comme des violences récentes à {lieu}",
        "Message vocal viral affirmant que les cartes d'électeur de {commune} ne seront pas acceptées",
        "Faux communiqué attribué au ministère de l'Intérieur circulant sur {reseau}",
        "Rumeur d'enlèvements d'enfants à {lieu} relayée sur {reseau}, panique dans le quartier",
        "Publication sur {reseau} annonçant de faux résultats pour {commune}",
        "Fausse annonce d'un couvre-feu à {commune} partagée sur {reseau}",
        "Photomontage d'un candidat distribuant de l'argent à {lieu} diffusé sur {reseau}",
        "Rumeur selon laquelle les bureaux de vote {de_commune} fermeront à midi",
        "Fausse liste de bureaux de vote déplacés à {lieu} circulant sur {reseau}",
    ],
    "discours_haine": [
        "Propos à caractère ethnique tenus lors d'un meeting à {lieu}",
        "Chanson injurieuse visant une communauté entonnée lors d'un rassemblement à {lieu}",
        "Appel à chasser les « étrangers » du quartier lors d'une réunion à {lieu}",
        "Message haineux contre une communauté publié sur {reseau} par un militant {de_lieu}",
        "Un animateur de radio locale à {commune} tient des propos incitant à la violence",
        "Slogans haineux peints sur des murs à {lieu}",
        "Un orateur qualifie les adversaires de « traîtres à éliminer » lors d'un meeting à {lieu}",
        "Audio circulant sur {reseau} appelant à s'en prendre aux partisans adverses de {commune}",
        "Insultes à caractère religieux lors d'un rassemblement à {lieu}",
    ],
    "achat_conscience": [
        "Des billets distribués aux électeurs devant le {bv}",
        "Distribution de {objet} aux femmes du marché {de_lieu} contre des promesses de vote",
        "Des militants remettent {montant} FCFA par personne aux électeurs à {lieu}",
        "Achat de cartes d'électeur signalé à {lieu}, {montant} FCFA la carte",
        "Un candidat offre de l'essence aux conducteurs de zémidjan de {lieu}",
        "Repas et boissons offerts aux électeurs près du {bv}",
        "Enveloppes distribuées lors d'une réunion nocturne à {lieu}",
        "Promesse d'argent contre une photo du bulletin de vote, signalée à {lieu}",
        "Distribution de {objet} par une association proche d'un candidat à {lieu}",
        "Des délégués paient le transport d'électeurs vers le {bv}",
    ],
    "irregularite": [
        "Bourrage d'urne présumé au {bv}",
        "Des électeurs sans carte admis à voter au {bv}",
        "Le {bv} a fermé avant l'heure légale",
        "Délégués de parti empêchés d'assister au dépouillement au {bv}",
        "Vote multiple signalé : un électeur aperçu dans deux bureaux à {lieu}",
        "Pas d'encre indélébile, des électeurs votent sans être marqués au {bv}",
        "Procès-verbal rempli avant la fin du dépouillement au {bv}",
        "Isoloir retiré, le secret du vote n'est pas garanti au {bv}",
        "Des mineurs aperçus dans la file d'attente au {bv}",
        "Écart entre le nombre de votants et de bulletins constaté au {bv}",
        "Propagande électorale devant le {bv} le jour du scrutin",
    ],
    "logistique": [
        "Retard de livraison du matériel électoral au {cv}",
        "Le {bv} n'a toujours pas ouvert à {heure}, matériel manquant",
        "Liste électorale incomplète au {bv}, des électeurs ne trouvent pas leur nom",
        "Bulletins de vote en nombre insuffisant au {bv}",
        "Pas d'éclairage pour le dépouillement au {bv}",
        "Membres du poste de vote absents au {bv}",
        "Kits électoraux acheminés par erreur vers {lieu}",
        "Cartes d'électeur non distribuées à {lieu}, longues files d'attente à la mairie",
        "Encre indélébile manquante au {cv}",
        "Urne livrée sans scellés au {bv}",
    ],
    "securite": [
        "Présence signalée d'hommes armés non identifiés près {de_lieu}",
        "Enlèvement d'un éleveur à {lieu}, les ravisseurs réclament une rançon",
        "Engin explosif découvert sur la piste menant à {lieu}",
        "Attaque contre un poste des forces de défense près {de_lieu}",
        "Des habitants {de_lieu} fuient après des mouvements d'hommes armés",
        "Des agents électoraux refusent de se rendre à {lieu} par crainte d'attaques",
        "Moto suspecte abandonnée près du marché {de_lieu}, zone bouclée",
        "Menaces de groupes armés contre les électeurs {de_lieu}, selon des bergers",
        "Vol de bétail à main armée à {lieu}, la population inquiète pour le scrutin",
    ],
    "manifestation": [
        "Des militants manifestent devant la mairie {de_commune} pour contester les résultats provisoires",
        "Barricades et pneus brûlés sur la route {de_lieu}",
        "Rassemblement de jeunes devant la coordination de la CENA à {commune}",
        "Sit-in de partisans d'un candidat à {lieu} pour réclamer un recomptage",
        "Marche spontanée à {lieu} après l'annonce de résultats partiels",
        "Mouvement de foule devant le {cv} pendant le dépouillement",
        "Les commerçants {de_lieu} ferment boutique par crainte de troubles",
        "Voie inter-États bloquée par des manifestants à {lieu}",
        "Rassemblement festif à {lieu} qui dégénère en heurts avec les forces de l'ordre",
    ],
    "arrestation": [
        "Interpellation de {n} militants après des violences à {lieu}",
        "Un responsable local {de_camp} arrêté à {lieu}",
        "Arrestation d'un homme en possession de cartes d'électeur à {lieu}",
        "Un activiste de {commune} interpellé pour des publications sur {reseau}",
        "Garde à vue pour {n} jeunes après la destruction d'affiches à {lieu}",
        "Arrestation d'un individu distribuant de l'argent près du {bv}",
        "Un journaliste interpellé alors qu'il couvrait une manifestation à {lieu}",
        "Des manifestants arrêtés à {lieu} et conduits au commissariat",
        "Interpellation d'un faux agent de la CENA à {lieu}",
    ],
    "autre": [
        "Accident de circulation impliquant un cortège de campagne à {lieu}",
        "Incendie au marché {de_lieu}, sans lien établi avec la campagne",
        "Coupure du réseau téléphonique signalée à {lieu}",
        "Un électeur malade évacué du {bv}",
        "Coupure d'électricité générale à {commune}",
    ],
}
# A second sentence, chosen to match the severity.
FOLLOW_UPS_LOW = ["Pas de blessé", "Le calme est revenu", "Situation sous contrôle", "Information à vérifier",
                  "Signalé vers {heure}", "Photos disponibles"]
FOLLOW_UPS_HIGH = ["Plusieurs blessés", "Un blessé évacué vers le centre de santé", "La police est sur place",
                   "Situation tendue", "Renforts demandés", "Signalé vers {heure}", "Des témoins confirment"]
# Where people vote: "bureau de vote " + one of these.
SCHOOLS = ["de l'EPP {x}", "du CEG {x}", "de l'école primaire publique {de_x}", "de l'EPP {x} Centre",
           "du CEG 1 {x}", "de la mairie {de_x}"]
NETWORKS = ["WhatsApp", "Facebook", "TikTok", "Telegram", "X (Twitter)", "un groupe WhatsApp"]
GOODS = ["pagnes", "sacs de riz", "bidons d'huile", "tee-shirts", "casquettes", "billets de banque", "savons",
         "cartes de recharge"]
AMOUNTS = ["500", "1 000", "2 000", "2 500", "5 000", "10 000"]
# Deliberately generic: the scenario attributes no act to a real party.
CAMPS = ["la mouvance", "l'opposition", "un parti de la mouvance", "un parti de l'opposition", "un candidat"]

# Corroboration: the second source rewords what the first said.
REWORDINGS = {
    "Affrontements": "Heurts", "militants": "partisans", "Bagarre rangée": "Rixe", "agressé": "attaqué",
    "Des billets distribués": "Distribution de billets", "Rumeur": "Information non confirmée",
    "Retard de livraison du": "Livraison tardive du", "détruits": "saccagés", "arrêté": "interpellé",
    "Interpellation": "Arrestation", "signalé": "rapporté", "signalée": "rapportée", "électeurs": "votants",
    "d'électeurs": "de votants", "perturbé": "troublé", "Menaces": "Intimidations", "incendié": "brûlé",
    "Fausse": "Prétendue", "près": "non loin", "jeunes": "individus", "plusieurs": "de nombreux",
}
PREFIXES = {
    "sms": ["", "URGENT ", "Alerte : "],
    "observateurs": ["Observateur : ", "Rapport d'observation : "],
    "reseaux_sociaux": ["Vu sur Facebook : ", "Publication virale : ", "Signalé sur WhatsApp : "],
    "police": ["Compte rendu de police : ", "Selon le commissariat, "],
    "partis": ["Notre délégué signale : ", "Communiqué du parti : "],
    "medias": ["Selon une radio locale, ", "D'après la presse, "],
}
_REWORD = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in sorted(REWORDINGS, key=len, reverse=True)) + r")\b")

FIRST_NAMES = ["Koffi", "Kossi", "Afiavi", "Sèna", "Romaric", "Gildas", "Ulrich", "Brice", "Armel", "Mariam",
               "Rachidatou", "Alassane", "Issa", "Adjoa", "Fifamè", "Sourou", "Yétondé", "Nafissatou", "Orou",
               "Chabi", "Sabi", "Djibril", "Moussa", "Aïcha", "Blandine", "Prudence", "Espérance", "Gérard",
               "Rodrigue", "Carine", "Hortense", "Bachirou", "Zénabou", "Mathias", "Euloge", "Sylvain"]
LAST_NAMES = ["Agossou", "Dossou", "Ahouandjinou", "Kpadonou", "Gbaguidi", "Zinsou", "Hounkpatin", "Adjovi",
              "Sossa", "Akpovi", "Tossou", "Bio", "Sanni", "Yarou", "Chabi", "Soumanou", "Mama", "Bouraïma",
              "Amoussou", "Lokossou", "Hounsou", "Kiki", "Houéto", "Dah", "Gounou", "Worou", "Alladé", "Ogou"]
REPORTER_RATE = 0.60  # share of sms / observer reports that carry the reporter's identity


# ---------------------------------------------------------------------------------------------------
# Generating the scenario


def generate(pack: Pack | None = None, seed: int = 42, scale: float = 1.0) -> pd.DataFrame:
    """The simulated campaign as a native CSV frame (French columns, local dates), sorted by date."""
    pack = pack or load_pack("benin")
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    places = _Places(pack, rnd)

    n_base = max(1, round(BASE_EVENTS * scale))
    times, phases = _event_times(pack, n_base, rng)
    categories = np.array([_pick(rng, PHASE_CATEGORIES[p]) for p in phases], dtype=object)
    codes = _communes_for(pack, categories, phases, rng)
    severities = np.array([_severity(rng, c) for c in categories])
    sources = np.array([_source(rng, c) for c in categories], dtype=object)

    events = []
    for t, cat, code, sev, src in zip(times, categories, codes, severities, sources):
        place = places.locality(code)  # where it happened, when the report names a place
        events.append({"time": t, "categorie": cat, "code": code, "gravite": int(sev), "source": src,
                       "place": place, "description": _describe(rnd, places, cat, code, place, int(sev), t, src)})

    # Corroboration: another channel reports the same event a little later, in its own words.
    for i in np.flatnonzero(rng.random(n_base) < CORROBORATION_RATE):
        first = events[i]
        other = [s for s in SOURCES if s != first["source"]]
        src = other[int(rng.integers(len(other)))]
        later = first["time"] + dt.timedelta(minutes=int(rng.integers(10, 240)))
        later = min(later, WINDOW_END - dt.timedelta(minutes=1))
        sev = int(np.clip(first["gravite"] + rng.choice([-1, 0, 0, 0, 1]), 1, 4))
        events.append({**first, "time": later, "source": src, "gravite": sev,
                       "description": _reword(rnd, first["description"], src)})

    frame = pd.DataFrame(events)
    n = len(frame)
    modes = rng.choice(len(LOCATION_MODES), size=n, p=LOCATION_WEIGHTS)
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    point = modes == 0
    lat[point], lon[point] = _points_in(pack, frame["code"].to_numpy()[point], rng)
    frame["latitude"], frame["longitude"] = lat, lon
    commune_given = (modes == 2) | (point & (rng.random(n) < 0.8))
    lieu_given = (modes == 1) | (point & (rng.random(n) < 0.3))
    frame["commune"] = [places.commune_spelling(c) if g else "" for c, g in zip(frame["code"], commune_given)]
    frame["lieu"] = [places.spell(p) if g and p else "" for p, g in zip(frame["place"], lieu_given)]
    # A report with neither point nor place (a commune without known localities) names its commune.
    bare = (frame["lieu"] == "") & (frame["commune"] == "") & ~point
    frame.loc[bare, "commune"] = [places.commune_spelling(c) for c in frame.loc[bare, "code"]]
    named = np.isin(frame["source"].to_numpy(), ["sms", "observateurs"]) & (rng.random(n) < REPORTER_RATE)
    frame["nom"] = [_reporter_name(rnd) if k else "" for k in named]
    frame["telephone"] = [_phone(rnd) if k else "" for k in named]

    frame = _separate_same_content(frame)
    frame = frame.sort_values("time", kind="stable").reset_index(drop=True)
    frame["id"] = [f"SIM-{i:06d}" for i in range(1, len(frame) + 1)]
    # A few rows are sent twice by their channel (same id, same content): the inbox must drop them.
    dup = frame.iloc[np.flatnonzero(rng.random(len(frame)) < DUPLICATE_RATE)]
    frame = pd.concat([frame, dup]).sort_values(["time", "id"], kind="stable").reset_index(drop=True)
    frame["date"] = frame["time"].dt.strftime(DATE_FORMAT)
    return frame[COLUMNS].reset_index(drop=True)


def local_times(frame: pd.DataFrame) -> pd.Series:
    """The local wall time of each row of a scenario frame."""
    return pd.to_datetime(frame["date"], format=DATE_FORMAT)


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _day_weight(day: dt.date, phase: str, election_day: dt.date, campaign: tuple[dt.date, dt.date]) -> float:
    """Relative number of incidents on a day: rising through the campaign, peaking on election day."""
    if phase == "scrutin":
        return 14.0
    if phase == "silence":
        return 2.6
    if phase == "resultats":
        after = (day - election_day).days
        return 6.5 * math.exp(-0.3 * (after - 1)) + (3.0 if day == PROVISIONAL_RESULTS_DAY else 0.0)
    if phase == "campagne":
        start, end = campaign
        progress = (day - start).days / max(1, (end - start).days)
        weight = 2.0 + 2.5 * progress + (1.0 if day == start else 0.0)  # the opening rallies
        return weight * (0.75 if (day.month, day.day) in ((12, 25), (12, 31), (1, 1)) else 1.0)
    # Pre-campaign: slowly rising.
    return 0.9 + 0.05 * (day - WINDOW_START.date()).days


def _event_times(pack: Pack, n: int, rng: np.random.Generator) -> tuple[list[dt.datetime], list[str]]:
    election = pack.election
    days = [WINDOW_START.date() + dt.timedelta(days=i) for i in range((WINDOW_END - WINDOW_START).days)]
    election_day = election.election_day if election else dt.date(2023, 1, 8)
    campaign = next(((p.start, p.end) for p in election.phases if p.code == "campagne"), None) if election else None
    campaign = campaign or (dt.date(2022, 12, 23), dt.date(2023, 1, 6))
    phases = [(election.phase_of(d) if election else None) or _phase_fallback(d, election_day) for d in days]
    phases = [p if p in PHASE_CATEGORIES else "campagne" for p in phases]
    weights = np.array([_day_weight(d, p, election_day, campaign) for d, p in zip(days, phases)])
    counts = rng.multinomial(n, weights / weights.sum())
    times, out_phases = [], []
    for day, phase, count in zip(days, phases, counts):
        hours_p = np.array(PHASE_HOURS[phase], dtype=float)
        hours = rng.choice(24, size=count, p=hours_p / hours_p.sum())
        minutes = rng.integers(0, 60, size=count)
        for h, m in zip(hours, minutes):
            times.append(dt.datetime.combine(day, dt.time(int(h), int(m))))
            out_phases.append(phase)
    return times, out_phases


def _phase_fallback(day: dt.date, election_day: dt.date) -> str:
    delta = (day - election_day).days
    return "scrutin" if delta == 0 else "silence" if delta == -1 else "resultats" if delta > 0 else "campagne"


def _communes_for(pack: Pack, categories: np.ndarray, phases: list[str], rng: np.random.Generator) -> np.ndarray:
    communes = pack.communes
    codes = communes["commune_code"].to_numpy(dtype=object)
    pop = communes["population"].fillna(communes["population"].median()).to_numpy(dtype=float)
    base = pop ** POPULATION_POWER * _multipliers(communes, HOTSPOTS)
    north = _multipliers(communes, NORTHERN, default=0.0)
    if north.sum() == 0:  # another pack: no northern border list
        north = base
    urban = base * _multipliers(communes, URBAN)
    out = np.empty(len(categories), dtype=object)
    for name, weights in (("base", base), ("north", north), ("urban", urban)):
        if name == "north":
            mask = categories == "securite"
        elif name == "urban":
            mask = np.isin(categories, ["manifestation", "arrestation"]) & (np.array(phases) == "resultats")
        else:
            mask = ~((categories == "securite") | (np.isin(categories, ["manifestation", "arrestation"])
                                                   & (np.array(phases) == "resultats")))
        if mask.any():
            out[mask] = rng.choice(codes, size=int(mask.sum()), p=weights / weights.sum())
    return out


def _multipliers(communes: pd.DataFrame, table: dict[str, float], default: float = 1.0) -> np.ndarray:
    keyed = {match_key(k): v for k, v in table.items()}
    return np.array([keyed.get(match_key(c), default) for c in communes["commune"]], dtype=float)


def _severity(rng: np.random.Generator, category: str) -> int:
    return int(rng.choice(4, p=SEVERITY_PROBS.get(category, DEFAULT_SEVERITY))) + 1


def _source(rng: np.random.Generator, category: str) -> str:
    bias = SOURCE_BIAS.get(category, {})
    w = SOURCE_WEIGHTS * np.array([bias.get(s, 1.0) for s in SOURCES])
    return SOURCES[int(rng.choice(len(SOURCES), p=w / w.sum()))]


def _points_in(pack: Pack, codes: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A uniform random point inside each commune polygon (rejection sampling in its bounding box)."""
    lat, lon = np.full(len(codes), np.nan), np.full(len(codes), np.nan)
    index = {c: i for i, c in enumerate(pack.communes["commune_code"])}
    for code in sorted(set(codes)):
        rows = np.flatnonzero(codes == code)
        geom = pack.geometries[index[code]]
        minx, miny, maxx, maxy = shapely.bounds(geom)
        xs, ys = [], []
        while sum(len(x) for x in xs) < len(rows):
            k = 4 * len(rows) + 8
            x = np.round(rng.uniform(minx, maxx, k), 5)  # rounded before the test: the CSV keeps 5 decimals
            y = np.round(rng.uniform(miny, maxy, k), 5)
            inside = shapely.contains_xy(geom, x, y)
            xs.append(x[inside])
            ys.append(y[inside])
        lon[rows] = np.concatenate(xs)[: len(rows)]
        lat[rows] = np.concatenate(ys)[: len(rows)]
    return lat, lon


class _Places:
    """Names a report may use for a commune: its spellings, and its localities and arrondissements."""

    def __init__(self, pack: Pack, rnd: random.Random):
        self.rnd = rnd
        self.pack = pack
        locator = Locator(pack)
        self.official = dict(zip(pack.communes["commune_code"], pack.communes["commune"]))
        self.spellings: dict[str, list[str]] = {}
        variants = _variant_table(pack)
        for code, name in self.official.items():
            candidates = {name, name.upper(), strip_accents(name), strip_accents(name).upper(),
                          name.replace("-", " "), strip_accents(name).upper().replace("-", " ")}
            candidates |= set(variants.get(code, []))
            # Keep only spellings the locator resolves to this commune (the scenario must be locatable).
            good = sorted(c for c in candidates if c != name and locator.match_name(c)[0] == code)
            self.spellings[code] = good
        self.lieux: dict[str, list[str]] = {code: [] for code in self.official}
        folder = pack.folder
        for file, column in (("localites.csv", "name"), ("arrondissements.csv", "arrondissement")):
            if not (folder / file).exists():
                continue
            table = pd.read_csv(folder / file, dtype=str).dropna(subset=[column, "commune_code"])
            for name, code in zip(table[column], table["commune_code"]):
                hit = pack.names.get(match_key(name))
                # Only names that point to this commune alone, at a finer level than the commune.
                if hit and hit[0] == code and hit[1] != "commune" and code in self.lieux:
                    self.lieux[code].append(name)
        for code in self.lieux:
            self.lieux[code] = sorted(set(self.lieux[code]))

    def commune_spelling(self, code: str) -> str:
        """Mostly the official name; one time in four a variant (upper case, no accents, no hyphen)."""
        if self.spellings[code] and self.rnd.random() < 0.25:
            return self.rnd.choice(self.spellings[code])
        return self.official[code]

    def locality(self, code: str) -> str | None:
        """A locality or arrondissement of the commune, as the pack spells it (None if it has none)."""
        names = self.lieux.get(code)
        return self.rnd.choice(names) if names else None

    def spell(self, name: str) -> str:
        """As a reporter would type it: mostly in title case, sometimes in capitals as in the pack."""
        return name if self.rnd.random() < 0.3 else _title(name)


def _title(name: str) -> str:
    """"AVOTROU GBEGO" -> "Avotrou Gbego", keeping roman numerals ("HOUINMEY II" -> "Houinmey II")."""
    return _ROMAN.sub(lambda m: m.group(0).upper(), name.title())


_ROMAN = re.compile(r"\b(?:Ii|Iii|Iv|Vi|Vii|Viii|Ix)\b")


def _variant_table(pack: Pack) -> dict[str, list[str]]:
    path = pack.folder / "commune_name_variants.csv"
    if not path.exists():
        return {}
    table = pd.read_csv(path, dtype=str).dropna(subset=["variant", "commune_code"])
    out: dict[str, list[str]] = {}
    for variant, code in zip(table["variant"], table["commune_code"]):
        out.setdefault(code, []).extend(v.strip() for v in variant.split("/") if v.strip())
    return out


def _de(name: str) -> str:
    """French "de" before a name, elided before a vowel: "de Godomey", "d'Akassato", "de l'opposition"."""
    if name[:2].lower() == "l'" or strip_accents(name[:1]).lower() not in "aeiouy":
        return f"de {name}"
    return f"d'{name}"


def _describe(rnd: random.Random, places: _Places, category: str, code: str, place: str | None, severity: int,
              when: dt.datetime, source: str) -> str:
    lieu = _title(place) if place and rnd.random() < 0.85 else places.official[code]
    commune = places.official[code]
    school = rnd.choice(SCHOOLS).format(x=lieu, de_x=_de(lieu))
    camp = rnd.choice(CAMPS)
    values = {
        "lieu": lieu, "de_lieu": _de(lieu), "commune": commune, "de_commune": _de(commune),
        "bv": f"bureau de vote {school}", "cv": f"centre de vote {school}",
        "reseau": rnd.choice(NETWORKS), "objet": rnd.choice(GOODS), "montant": rnd.choice(AMOUNTS),
        "n": rnd.randint(2, 12), "camp": camp, "de_camp": _de(camp),
        "heure": f"{when.hour} h {when.minute:02d}",
    }
    text = rnd.choice(TEMPLATES[category]).format(**values)
    if rnd.random() < 0.5:
        follow = rnd.choice(FOLLOW_UPS_HIGH if severity >= 3 else FOLLOW_UPS_LOW)
        text += ". " + follow.format(**values)
    if source == "sms" and rnd.random() < 0.15:
        text = strip_accents(text).upper()  # typed on a basic phone
    return text


def _reword(rnd: random.Random, text: str, source: str) -> str:
    reworded = _REWORD.sub(lambda m: REWORDINGS[m.group(0)], text)
    prefix = rnd.choice(PREFIXES.get(source, [""]))
    if prefix.endswith(", ") and reworded[:1].isupper() and not reworded[:2].isupper():
        reworded = reworded[:1].lower() + reworded[1:]
    return prefix + reworded


def _reporter_name(rnd: random.Random) -> str:
    first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
    return f"{last.upper()} {first}" if rnd.random() < 0.5 else f"{first} {last}"


def _phone(rnd: random.Random) -> str:
    # "+229 00 …": no operator uses the 00 series, so these numbers reach nobody.
    return "+229 00 " + " ".join(f"{rnd.randint(0, 99):02d}" for _ in range(3))


def _separate_same_content(frame: pd.DataFrame) -> pd.DataFrame:
    """Move a report by a minute when another one has the same channel, text and time.

    The inbox treats the same content as the same report; the scenario's only intended duplicates are
    the exact re-sends added afterwards.
    """
    frame = frame.copy()
    key = ["source", "description", "time", "categorie"]
    while True:
        clash = frame.duplicated(key)
        if not clash.any():
            return frame
        # One minute later, or earlier at the very end of the window.
        late = frame["time"] >= WINDOW_END - dt.timedelta(minutes=1)
        step = np.where(late, -1, 1) * pd.Timedelta(minutes=1)
        frame.loc[clash, "time"] = frame.loc[clash, "time"] + step[clash.to_numpy()]


# ---------------------------------------------------------------------------------------------------
# Writing, preloading and replaying


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as a native Vigie CSV: `;`-separated UTF-8, empty fields for missing values."""
    return frame.to_csv(sep=";", index=False, lineterminator="\n").encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    path.write_bytes(csv_bytes(frame))
    return path


def _as_local(value: dt.datetime | str | None, default: dt.datetime) -> dt.datetime:
    if value is None:
        return default
    if isinstance(value, str):
        return pd.Timestamp(value).to_pydatetime()
    return value


def _fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def preload(settings, until: dt.datetime | str | None = None, *, seed: int = 42, scale: float = 1.0) -> int:
    """Ingest the scenario up to `until` (local time; default 3 January 2023 00:00); returns rows written.

    When the server holds the database, the file is left in the inbox for it. Loading twice changes
    nothing: a database that already holds simulated reports is left as it is.
    """
    from vigie.ingest.inbox import drop_bytes, process_inbox
    from vigie.server import open_store
    from vigie.store import DatabaseLocked

    cut = _as_local(until, DEFAULT_CUT)
    settings.ensure_dirs()
    try:
        store = open_store(settings)
    except DatabaseLocked:
        store = None
    try:
        if store is not None:
            existing = store.raw_cursor().execute(
                "select count(*) from main.reports where source_ref like 'SIM-%'"
            ).fetchone()[0]
            if existing:
                print(f"Scénario simulé déjà chargé ({_fmt_int(existing)} signalements) : rien à faire.")
                return 0
        frame = generate(load_pack(settings.pack), seed=seed, scale=scale)
        before = frame[local_times(frame) < cut]
        drop_bytes(settings.inbox, csv_bytes(before), "demo-historique.csv", source=DEMO_SOURCE)
        claims = _claim_sightings(frame, seed)
        seen = claims[pd.to_datetime(claims["vu_le"]) < cut]
        if len(seen):
            drop_bytes(settings.inbox, demo_claims.csv_bytes(seen), "demo-affirmations.csv", source=DEMO_SOURCE)
        # The parties' itineraries are known ahead: the whole campaign's, decided up to the cut.
        meetings = _rallies(load_pack(settings.pack), cut, seed)
        if len(meetings):
            drop_bytes(settings.inbox, demo_rallies.csv_bytes(meetings), "demo-meetings.csv", source="police")
        if store is None:
            print(f"Serveur en cours d'exécution : {_fmt_int(len(before))} signalements simulés (jusqu'au "
                  f"{cut:%d/%m/%Y %H:%M}) déposés dans la boîte de réception ; le serveur les intègre.")
            return len(before)
        results = process_inbox(store, settings)
        # A mark in the database: what is made from it later says "simulated" even without VIGIE_DEMO.
        store.replace_row("meta", {"key": "simulated", "value": "true"})
        decisions = simulate_operators(store)
        reports = [r for r in results if r.format not in ("claims-csv", "rallies-csv")]
        accepted = sum(r.accepted for r in reports)
        duplicate = sum(r.duplicate for r in reports)
        quarantined = sum(r.quarantined for r in reports)
        print(f"Scénario simulé chargé jusqu'au {cut:%d/%m/%Y %H:%M} : {_fmt_int(len(before))} lignes, "
              f"{_fmt_int(accepted)} signalements acceptés, {_fmt_int(duplicate)} doublons, "
              f"{_fmt_int(quarantined)} en quarantaine ; {_fmt_int(len(seen))} observations d'affirmations "
              f"(réseaux sociaux) ; {_fmt_int(len(meetings))} meetings de campagne ; {_fmt_int(decisions)} décisions "
              "d'opérateurs simulés.")
        return len(before)
    finally:
        if store is not None:
            store.close()


def _rallies(pack, cut: dt.datetime, seed: int) -> pd.DataFrame:
    """The campaign's simulated rallies (none for a pack without a campaign phase)."""
    campaign = next((p for p in pack.election.phases if p.code == "campagne"), None) if pack.election else None
    if campaign is None:
        return pd.DataFrame(columns=demo_rallies.COLUMNS)
    return demo_rallies.itineraries(pack.communes, campaign.start, campaign.end, cut, seed=seed)


def replay(settings, speed: float = 1800.0, start: dt.datetime | str | None = None, tick: float = 2.0, *,
           seed: int = 42, scale: float = 1.0) -> int:
    """Drop the scenario after `start` into the inbox in accelerated real time; returns rows dropped.

    The simulated clock runs `speed` times faster than real time (1800: one hour in two seconds). This
    never opens the database: the server owns it and ingests what lands in the inbox.
    """
    from vigie.ingest.inbox import drop_bytes

    if speed <= 0 or tick <= 0:
        raise ValueError("la vitesse et l'intervalle du rejeu doivent être positifs")
    begin = _as_local(start, DEFAULT_CUT)
    frame = generate(load_pack(settings.pack), seed=seed, scale=scale)
    times = local_times(frame)
    rows = frame[times >= begin].reset_index(drop=True)
    stamps = times[times >= begin].to_numpy()
    if not len(rows):
        print(f"Rejeu : rien à rejouer après le {begin:%d/%m/%Y %H:%M}.")
        return 0
    end = pd.Timestamp(stamps[-1]).to_pydatetime()
    print(f"Rejeu du scénario simulé : {_fmt_int(len(rows))} signalements du {begin:%d/%m/%Y %H:%M} au "
          f"{end:%d/%m/%Y %H:%M}, accéléré ×{speed:g}.", flush=True)
    claims = _claim_sightings(frame, seed)
    claim_times = pd.to_datetime(claims["vu_le"]).to_numpy()
    claims_sent = int(np.searchsorted(claim_times, np.datetime64(begin), side="left"))
    started = time.monotonic()
    sent = 0
    try:
        while sent < len(rows):
            time.sleep(tick)
            clock = np.datetime64(begin + dt.timedelta(seconds=(time.monotonic() - started) * speed))
            upto = int(np.searchsorted(stamps, clock, side="right"))
            if upto > sent:
                drop_bytes(settings.inbox, csv_bytes(rows.iloc[sent:upto]), "demo-replay.csv", source=DEMO_SOURCE)
                sent = upto
            claims_upto = int(np.searchsorted(claim_times, clock, side="right"))
            if claims_upto > claims_sent:  # the claims seen meanwhile, in their own file (their own feed)
                drop_bytes(settings.inbox, demo_claims.csv_bytes(claims.iloc[claims_sent:claims_upto]),
                           "demo-affirmations.csv", source=DEMO_SOURCE)
                claims_sent = claims_upto
    except KeyboardInterrupt:
        print(f"Rejeu interrompu : {_fmt_int(sent)} signalements sur {_fmt_int(len(rows))} déposés.")
        return sent
    print(f"Rejeu terminé : {_fmt_int(sent)} signalements déposés (fin du scénario, {end:%d/%m/%Y %H:%M}).")
    return sent


def _claim_sightings(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return demo_claims.sightings(frame, local_times(frame), seed=seed)


# ---------------------------------------------------------------------------------------------------
# Simulated operators

_CANDIDATES_SQL = """
with simulated as (
    select incident_id
    from main.reports
    group by incident_id
    having bool_and(source = $demo or coalesce(source_ref, '') like 'SIM-%')
),
touched as (
    select incident_id, count(*) as n_done, bool_or(actor <> $actor) as by_someone_else
    from main.status_events
    group by incident_id
),
final as (
    select i.incident_id, i.occurred_at, i.severity, i.category, c.commune, c.population,
           coalesce(t.n_done, 0) as n_done
    from main.incidents i
    semi join simulated s using (incident_id)
    left join touched t using (incident_id)
    left join main.communes c using (commune_code)
    where not coalesce(t.by_someone_else, false) and coalesce(t.n_done, 0) < $max_steps
)
select * from final order by incident_id
"""
MAX_STEPS = 5  # en_verification, verifie, assigned_unit, transmis, clos


def simulate_operators(store, now: dt.datetime | None = None) -> int:
    """Play the situation room's analysts on simulated incidents; returns the number of events written.

    Each incident's fate is decided from a hash of its id (about 70 % verified, 8 % false, 12 % left
    under verification, the rest left new; serious verified ones escalated to a unit, half of those
    resolved; a few held back from publication). Events are dated from when the incident occurred, and
    only those due by `now` (UTC; default: the latest incident, the replay's clock) are written, so the
    rest follow on later calls as the simulated clock advances. An incident that someone else has
    touched, or that holds a report not from the demo, is never touched.
    """
    with store.write_lock:
        cur = store.raw_cursor()
        if now is None:
            now = cur.execute("select max(occurred_at) from main.incidents").fetchone()[0]
            if now is None:
                return 0
        todo = cur.execute(_CANDIDATES_SQL, {"demo": DEMO_SOURCE, "actor": ACTOR, "max_steps": MAX_STEPS}).df()
        rows = []
        for inc in todo.itertuples(index=False):
            plan = _plan(inc)
            for step, (at, field, from_value, to_value, reason) in enumerate(plan):
                if step < inc.n_done:
                    continue
                if at > now:
                    break  # the rest of the chain waits for the clock
                rows.append((inc.incident_id, step, at, field, from_value, to_value, reason))
        if not rows:
            return 0
        events = pd.DataFrame(rows, columns=["incident_id", "step", "at_time", "field", "from_value", "to_value",
                                             "reason"]).sort_values(["incident_id", "step"], kind="stable")
        events["actor"] = ACTOR
        events["at_time"] = pd.to_datetime(events["at_time"]).dt.round("s").astype("datetime64[us]")

        def write(c):
            # Reserve ids first: the latest event of an incident is the one with the highest id.
            rows = events.assign(event_id=np.asarray(store.next_ids("event_seq", len(events), c), dtype=np.int64))
            c.register("simulated_events", rows)
            try:
                c.execute(
                    """
                    insert into main.status_events
                    select event_id, incident_id, at_time, actor, field, from_value, to_value, reason
                    from simulated_events
                    """
                )
            finally:
                c.unregister("simulated_events")

        store.transact(write, "demo")
    store.bump()
    return len(events)


def _uniforms(incident_id: int, count: int = 8) -> list[float]:
    """Deterministic numbers in [0, 1) for an incident (the same on every machine and every run)."""
    digest = hashlib.blake2b(f"vigie-demo:{incident_id}".encode(), digest_size=4 * count).digest()
    return [int.from_bytes(digest[4 * i: 4 * i + 4], "big") / 2**32 for i in range(count)]


def _plan(inc) -> list[tuple[dt.datetime, str, str | None, str, str]]:
    """The simulated operators' events for one incident, in order: (at, field, from, to, reason)."""
    u = _uniforms(int(inc.incident_id))
    occurred = pd.Timestamp(inc.occurred_at).to_pydatetime()
    if u[0] >= 0.90:
        return []  # stays new: nobody has looked at it yet
    # Verified between 20 minutes and 6 hours after the fact (log-uniform: most within the first hours).
    delay = math.exp(math.log(20) + u[1] * (math.log(360) - math.log(20)))
    opened = occurred + dt.timedelta(minutes=max(5.0, delay * (0.2 + 0.4 * u[2])))
    decided = occurred + dt.timedelta(minutes=delay)
    plan = [(opened, "status", "nouveau", "en_verification", "Prise en charge par la salle de situation")]
    if u[0] >= 0.78:
        return plan  # still being checked
    if u[0] >= 0.70:
        return plan + [(decided, "status", "en_verification", "faux",
                        "Information démentie par le correspondant local")]
    plan.append((decided, "status", "en_verification", "verifie", "Confirmée par un contact sur place"))
    severity = 0 if pd.isna(inc.severity) else int(inc.severity)
    if severity >= 3 and u[3] < 0.5:
        sent = decided + dt.timedelta(minutes=5 + 85 * u[4])
        plan.append((sent, "assigned_unit", None, _unit(inc, u[5]), "Gravité élevée : intervention demandée"))
        plan.append((sent, "status", "verifie", "transmis", "Transmis à l'unité compétente"))
        if u[6] < 0.5:
            plan.append((sent + dt.timedelta(minutes=60 + 660 * u[7]), "status", "transmis", "clos",
                         "Intervention terminée, situation normalisée"))
    elif u[3] >= 0.97:
        plan.append((decided + dt.timedelta(minutes=2 + 28 * u[4]), "held", None, "true",
                     "Publication différée : vérifications complémentaires en cours"))
    return plan


def _unit(inc, u: float) -> str:
    commune = inc.commune if isinstance(inc.commune, str) else None
    if inc.category == "securite":
        return "Forces de défense et de sécurité (opération Mirador)"
    if inc.category in ("desinformation", "discours_haine"):
        return "Office central de répression de la cybercriminalité (OCRC)"
    if commune is None:
        return "Centre de commandement de la Police républicaine"
    if inc.category in ("logistique", "irregularite"):
        return f"Coordination communale de la CENA ({commune})"
    population = 0 if pd.isna(inc.population) else float(inc.population)
    if population >= 200_000 or u < 0.5:
        return f"Commissariat {_de(commune)}"
    return f"Brigade de gendarmerie {_de(commune)}"
