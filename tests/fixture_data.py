"""The deterministic fixture scenario: a small, known campaign ingested through the real inbox path.

Seeded with random.Random(42). Statuses are set through the audit trail so that some incidents are
published, some held back, some false and some still new. Every report carries a reporter identity,
so that any leak to a journalist shows up in the tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from vigie.config import Settings
from vigie.geo import load_pack
from vigie.ingest.inbox import drop_bytes, process_inbox
from vigie.store import Event, Store
from vigie.taxonomy import CATEGORIES

N_REPORTS = 400
START = dt.datetime(2022, 12, 20)
PII_MARKERS = ("Témoin-Fixture", "+229 00 00", "temoin@example.invalid")


def fixture_rows(pack_id: str = "benin", n: int = N_REPORTS) -> list[dict]:
    rng = random.Random(42)
    pack = load_pack(pack_id)
    communes = pack.communes.to_dict("records")
    categories = list(CATEGORIES)
    rows = []
    for i in range(n):
        commune = rng.choice(communes)
        when = START + dt.timedelta(minutes=rng.randrange(0, 22 * 24 * 60))
        located = rng.random()
        rows.append(
            {
                "id": f"FX-{i:04d}",
                "source": rng.choice(["sms", "observateurs", "police", "reseaux_sociaux"]),
                "date": when.strftime("%d/%m/%Y %H:%M"),
                "latitude": f"{commune['lat']:.5f}".replace(".", ",") if located < 0.5 else "",
                "longitude": f"{commune['lon']:.5f}".replace(".", ",") if located < 0.5 else "",
                "commune": commune["commune"] if located >= 0.5 else "",
                "categorie": rng.choice(categories),
                "gravite": str(rng.choice([1, 1, 2, 2, 3, 4])),
                # A text may carry a phone number or an e-mail (often the reporter's own): observers and
                # journalists get it masked (PII_MARKERS are checked absent from what they receive).
                "description": f"Incident de test n°{i} signalé à {commune['commune']}"
                               + (f", rappeler le {PII_MARKERS[1]} 00 {i % 100:02d}" if i % 3 == 0 else "")
                               + (f" ou {PII_MARKERS[2]}" if i % 5 == 0 else ""),
                "nom": f"{PII_MARKERS[0]} {i}",
                "telephone": f"{PII_MARKERS[1]} {i:02d}",
                "contact": PII_MARKERS[2],
            }
        )
    # A report whose text tries to inject HTML wherever it is rendered.
    rows[0]["description"] = "<script>alert('xss')</script><img src=x onerror=alert(1)> Attaque"
    return rows


def rows_to_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def set_statuses(store: Store) -> None:
    """Deterministic statuses: i % 10 in 0..5 verified (published), 6 held back, 7 false, 8 en_verification."""
    ids = [row[0] for row in store.raw_cursor().execute("select incident_id from incidents order by incident_id").fetchall()]
    events = []
    for i, incident_id in enumerate(ids):
        kind = i % 10
        if kind <= 6:
            events.append(Event(incident_id, "status", "verifie", "fixture", "vérifié par appel"))
        if kind == 6:
            events.append(Event(incident_id, "held", "true", "fixture", "enquête en cours"))
        if kind == 7:
            events.append(Event(incident_id, "status", "faux", "fixture", "démenti"))
        if kind == 8:
            events.append(Event(incident_id, "status", "en_verification", "fixture"))
        if kind == 1:
            events.append(Event(incident_id, "note", "note interne confidentielle", "fixture"))
    store.record_events(events)


PARTIES = ("Bloc républicain", "Union progressiste le Renouveau", "Les Démocrates")
PROTECTIONS = ("accordée", "demandée", "refusée", "", "demandée", "accordée")
N_RALLIES = 18


def fixture_rallies(pack_id: str = "benin") -> list[dict]:
    """Rallies of three parties: 12 an hour after a fixture report, in its commune (so that incidents are near
    them), 6 on the last days of the scenario and after (the Meetings page's "today and the coming days").
    One place tries to inject HTML into the map's tooltip."""
    reports = fixture_rows(pack_id)
    pack = load_pack(pack_id)
    centres = pack.communes[["commune", "lat", "lon"]].to_dict("records")

    def commune_of(report: dict) -> str:  # a located report was put at its commune's centre
        lat, lon = (float(report[k].replace(",", ".")) for k in ("latitude", "longitude"))
        return min(centres, key=lambda c: abs(c["lat"] - lat) + abs(c["lon"] - lon))["commune"]

    last = max(dt.datetime.strptime(r["date"], "%d/%m/%Y %H:%M") for r in reports)
    rows = []
    for k in range(N_RALLIES):
        report = reports[1 + k * 21]
        commune = report["commune"] or commune_of(report)
        when = (dt.datetime.strptime(report["date"], "%d/%m/%Y %H:%M") + dt.timedelta(hours=1) if k < 12
                else dt.datetime.combine(last.date(), dt.time(10)) + dt.timedelta(days=k - 13, hours=k % 3 * 3))
        status = PROTECTIONS[k % len(PROTECTIONS)]
        rows.append({"id": f"RL-{k:02d}", "parti": PARTIES[k % 3], "date": when.strftime("%d/%m/%Y"),
                     "heure": when.strftime("%H:%M"), "commune": commune,
                     "lieu": "<img src=x onerror=alert(2)> Place" if k == 13 else f"Place du meeting {k}",
                     "affluence_attendue": str(500 * (k + 1)), "protection": status,
                     "unite": f"CRS {k}" if status == "accordée" else ""})
    return rows


def build_fixture_state(settings: Settings) -> None:
    settings.ensure_dirs()
    store = Store.open(settings)
    try:
        drop_bytes(settings.inbox, rows_to_csv(fixture_rows(settings.pack)), "fixture.csv", source="fixture")
        results = process_inbox(store, settings)
        assert results and results[0].accepted == N_REPORTS, [r.summary() for r in results]
        set_statuses(store)
        if settings.pack == "benin":
            drop_bytes(settings.inbox, rows_to_csv(fixture_rallies()), "meetings.csv", source="police")
            results = process_inbox(store, settings)
            assert results and results[0].accepted == N_RALLIES, [r.summary() for r in results]
    finally:
        store.close()
