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


def build_fixture_state(settings: Settings) -> None:
    settings.ensure_dirs()
    store = Store.open(settings)
    try:
        drop_bytes(settings.inbox, rows_to_csv(fixture_rows(settings.pack)), "fixture.csv", source="fixture")
        results = process_inbox(store, settings)
        assert results and results[0].accepted == N_REPORTS, [r.summary() for r in results]
        set_statuses(store)
    finally:
        store.close()
