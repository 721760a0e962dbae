"""Simulated rally itineraries for the demo scenario: the campaign's meetings as the parties would hand
them to the police, with the protection the room has already decided for those before the cut.

Seven lists ran in Benin's 2023 legislative elections; each holds one to three rallies a day from the
opening of the campaign to its last day, mostly in the afternoon, in communes drawn by population. Rallies
of the first days carry a decision (most granted with the local police station, a few refused), later ones
are still "demandée": the operator of the demo has decisions to take, and the party liaison an answer to
wait for. Places are generic ("Place publique de …"): nothing here is a real itinerary.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pandas as pd

PARTIES = ("Union progressiste le Renouveau", "Bloc républicain", "Les Démocrates",
           "Forces cauris pour un Bénin émergent", "Mouvement des élites engagées pour l'émancipation du Bénin",
           "Union démocratique pour un Bénin nouveau", "Mouvement populaire de libération")
PLACES = ("Place publique de {c}", "Stade municipal de {c}", "Marché central de {c}", "Maison des jeunes de {c}",
          "Esplanade de la mairie de {c}")
COLUMNS = ["id", "parti", "date", "heure", "commune", "lieu", "affluence_attendue", "protection", "unite"]


def itineraries(communes: pd.DataFrame, first: dt.date, last: dt.date, decided_until: dt.datetime, *,
                seed: int = 42) -> pd.DataFrame:
    """One row per rally (local times), the main lists holding more of them."""
    rnd = random.Random(seed)
    names = communes["commune"].tolist()
    weights = communes["population"].fillna(communes["population"].median()).tolist()
    rows, day, n = [], first, 0
    while day <= last:
        for rank, party in enumerate(PARTIES):
            for _ in range(rnd.randint(1, 3) if rank < 3 else rnd.randint(0, 1)):
                n += 1
                commune = rnd.choices(names, weights)[0]
                start = dt.datetime.combine(day, dt.time(rnd.choice((10, 15, 15, 16, 16, 17)), rnd.choice((0, 30))))
                if start < decided_until:
                    status = rnd.choices(("accordée", "refusée", "aucune"), (0.85, 0.07, 0.08))[0]
                else:
                    status = "demandée" if rnd.random() < 0.9 else "accordée"
                unit = f"Commissariat de {commune}" if status == "accordée" else ""
                rows.append([f"SIM-M-{n:04d}", party, f"{start:%d/%m/%Y}", f"{start:%H:%M}", commune,
                             rnd.choice(PLACES).format(c=commune), str(rnd.choice((500, 1000, 2000, 5000, 10000))),
                             status, unit])
        day += dt.timedelta(days=1)
    return pd.DataFrame(rows, columns=COLUMNS)


def csv_bytes(rows: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(COLUMNS)
    writer.writerows(rows.itertuples(index=False))
    return buffer.getvalue().encode("utf-8")
