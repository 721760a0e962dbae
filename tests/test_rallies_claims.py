"""Feeds 6 and 7: rally itineraries and social-media claims, through the real inbox into their own tables.

They skip the reports pipeline but keep its promises: every row is accepted, a duplicate or quarantined
with a French reason and its line; re-ingesting changes nothing; each role sees what its views allow.
The tests share one store (module scope) and use their own parties, refs and links, so they stay apart.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools

import pandas as pd
import pytest

from vigie import sql
from vigie.ingest import tables
from vigie.ingest.claims import platform_of
from vigie.ingest.inbox import drop_bytes, pending, process_inbox
from vigie.ingest.rallies import hour_text
from vigie.store import Store

_tags = itertools.count()


def csv_bytes(rows: list[list[str]], delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


@pytest.fixture(scope="module")
def env(module_store):
    return module_store


@pytest.fixture
def ingest(env):
    store, settings = env

    def run(data: bytes, name: str, source: str | None = None):
        drop_bytes(settings.inbox, data, name, source=source)
        [result] = process_inbox(store, settings)
        assert result.error is None, result.error
        assert pending(settings.inbox) == []
        if result.already_done:
            return result, None, None
        cur = store.raw_cursor()
        log = cur.execute("select * from ingest_log where seq = $seq", {"seq": result.seq}).df().iloc[0].to_dict()
        assert log["status"] == "done"
        assert log["n_received"] == log["n_accepted"] + log["n_duplicate"] + log["n_quarantined"]
        quarantine = cur.execute("select line_no, field, reason, record from quarantine where ingest_seq = $seq "
                                 "order by line_no", {"seq": result.seq}).df()
        return result, log, quarantine

    return run


ROWS_SQL = {table: "select * from main." + table + " where ingest_seq = $seq order by 1" for table in ("rallies", "claims")}


def rows_of(store, table: str, seq: int) -> list[dict]:
    frame = store.raw_cursor().execute(ROWS_SQL[table], {"seq": seq}).df()
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


# -- rallies ----------------------------------------------------------------------------------------------

FRENCH_RALLIES = [
    ["N°", "Parti", "Date", "Heure", "Commune", "Lieu", "Affluence attendue", "Protection", "Unité"],
    ["M-1", "Bloc républicain", "05/01/2023", "15h", "Cotonou", "Place de l'Étoile rouge", "5 000", "Accordée", "CRS 3"],
    ["M-2", "Union progressiste", "06/01/2023", "9h30", "SEME-PODJI", "Stade", "2k", "non", ""],
    ["M-3", "Les Démocrates", "04/01/2023", "16:00", "", "Godomey", "", "", ""],        # arrondissement → commune
    ["M-4", "FCBE", "07/01/2023", "10h", "Cotonu", "", "", "", ""],                     # misspelt commune
    ["M-5", "", "07/01/2023", "10h", "Parakou", "", "", "", ""],                         # no party
    ["M-6", "Bloc républicain", "32/01/2023", "10h", "Parakou", "", "", "", ""],         # impossible date
    ["M-7", "Bloc républicain", "08/01/2023", "midi", "Parakou", "", "", "", ""],        # unreadable hour
    ["M-8", "Bloc républicain", "03/01/2023", "11h", "Parakou", "", "beaucoup", "", ""], # unreadable count
    ["M-9", "Bloc républicain", "03/01/2023", "12h", "Parakou", "", "", "peut-être", ""],  # unknown status
    ["M-10", "Bloc républicain", "03/01/2030", "12h", "Parakou", "", "", "", ""],        # years ahead
    ["M-1", "Bloc républicain", "05/01/2023", "15h", "Cotonou", "Place de l'Étoile rouge", "5 000", "Accordée", "CRS 3"],
]


def test_french_rally_itinerary(env, ingest):
    store, _ = env
    result, log, quarantine = ingest(csv_bytes(FRENCH_RALLIES, encoding="cp1252"), "itineraire_meetings.csv",
                                     source="police")
    assert (result.format, log["source"]) == ("rallies-csv", "police")
    assert (log["n_received"], log["n_accepted"], log["n_duplicate"], log["n_quarantined"]) == (11, 3, 1, 7)
    rallies = {r["source_ref"]: r for r in rows_of(store, "rallies", result.seq)}
    assert set(rallies) == {"M-1", "M-2", "M-3"}
    first = rallies["M-1"]
    assert first["party"] == "Bloc républicain" and first["source"] == "police"
    assert first["starts_local"] == pd.Timestamp("2023-01-05 15:00")
    assert first["starts_at"] == pd.Timestamp("2023-01-05 14:00")  # Benin is UTC+1
    assert (first["commune_code"], first["place"], first["expected_attendance"]) == ("0801", "Place de l'Étoile rouge", 5000)
    assert (first["protection_status"], first["unit"]) == ("accordee", "CRS 3")
    assert (rallies["M-2"]["commune_code"], rallies["M-2"]["expected_attendance"]) == ("1009", 2000)
    assert (rallies["M-2"]["protection_status"], rallies["M-2"]["unit"]) == ("aucune", None)
    assert rallies["M-3"]["commune_code"] == "0301" and rallies["M-3"]["protection_status"] is None
    assert '"Parti": "Bloc républicain"' in first["raw"]

    got = [(int(q["line_no"]), q["field"]) for q in quarantine.to_dict("records")]
    assert got == [(5, "commune"), (6, "parti"), (7, "date"), (8, "heure"), (9, "affluence"), (10, "protection"),
                   (11, "date")]
    reasons = dict(zip(quarantine["line_no"], quarantine["reason"]))
    assert reasons[5] == "commune inconnue « Cotonu » (nom de commune du pays attendu)"
    assert "midi" in reasons[8] and "peut-être" in reasons[10] and "400 jours" in reasons[11]
    assert all(quarantine["record"].str.contains('"N°": "M-'))


def test_english_rallies_with_one_date_column_and_zones(env, ingest):
    store, _ = env
    rows = [["id", "party", "starts_at", "municipality", "venue", "attendance", "protection_status", "unit"],
            ["E-1", "Moele-Benin", "2023-01-02T09:00:00Z", "Parakou", "Central market", "1,200", "requested", ""],
            ["E-2", "Moele-Benin", "2023-01-03 17:30", "Porto Novo", "", "", "granted", "BAC 2"],
            ["E-3", "Moele-Benin", "03/01/2023 18h", "", "Djougou", "", "denied", ""]]
    result, log, quarantine = ingest(csv_bytes(rows, delimiter=","), "rallies.csv")
    assert (log["n_accepted"], log["n_quarantined"], log["source"]) == (3, 0, "itineraires")
    got = {r["source_ref"]: r for r in rows_of(store, "rallies", result.seq)}
    assert got["E-1"]["starts_at"] == pd.Timestamp("2023-01-02 09:00")
    assert got["E-1"]["starts_local"] == pd.Timestamp("2023-01-02 10:00")
    assert got["E-2"]["starts_local"] == pd.Timestamp("2023-01-03 17:30")
    assert got["E-3"]["starts_local"] == pd.Timestamp("2023-01-03 18:00")
    assert [got[k]["protection_status"] for k in ("E-1", "E-2", "E-3")] == ["demandee", "accordee", "refusee"]
    assert got["E-1"]["expected_attendance"] == 1200 and got["E-2"]["commune_code"] == "1008"


def test_reingesting_rallies_changes_nothing(env, ingest):
    store, _ = env
    rows = [["parti", "date", "lieu"], ["Parti R", "02/01/2023 10:00", "Bohicon"],
            ["Parti R", "02/01/2023 16:00", "Abomey"]]
    data = csv_bytes(rows)
    first, log, _ = ingest(data, "r.csv", source="parti_r")
    assert (log["n_accepted"], log["n_duplicate"]) == (2, 0)
    count = store.raw_cursor().execute("select count(*) from rallies").fetchone()[0]
    again, _, _ = ingest(data, "r.csv", source="parti_r")
    assert again.already_done
    # The same rallies in another file (other bytes, no ids): recognised by their content.
    other, log, _ = ingest(csv_bytes(rows + [["Parti R", "03/01/2023 10:00", "Bohicon"]]), "r2.csv", source="parti_r")
    assert (log["n_received"], log["n_accepted"], log["n_duplicate"]) == (3, 1, 2)
    assert store.raw_cursor().execute("select count(*) from rallies").fetchone()[0] == count + 1


def test_rally_ids_deduplicate_by_source(env, ingest):
    store, _ = env
    header = ["id", "source", "parti", "date", "heure", "commune"]
    _, log, _ = ingest(csv_bytes([header, ["S-1", "Parti S", "Parti S", "04/01/2023", "10h", "Kandi"]]), "a.csv")
    assert log["n_accepted"] == 1
    # Same id, corrected hour: a duplicate of the first (the first one wins) ...
    _, log, _ = ingest(csv_bytes([header, ["S-1", "Parti S", "Parti S", "04/01/2023", "11h", "Kandi"]]), "b.csv")
    assert (log["n_accepted"], log["n_duplicate"]) == (0, 1)
    # ... but the same id from the police is another record.
    _, log, _ = ingest(csv_bytes([header, ["S-1", "Police", "Parti S", "04/01/2023", "11h", "Kandi"]]), "c.csv")
    assert log["n_accepted"] == 1
    sources = store.raw_cursor().execute("select source from rallies where source_ref = 'S-1' order by 1").fetchall()
    assert sources == [("parti_s",), ("police",)]


# -- claims -------------------------------------------------------------------------------------------------

def test_claims_file(env, ingest):
    store, _ = env
    rows = [["Plateforme", "Lien", "Texte", "Vu le", "Portée", "Verdict", "Lien démenti"],
            ["Facebook", "https://facebook.com/posts/101", "Les urnes sont déjà remplies à Parakou",
             "03/01/2023 10:00", "12k", "Faux", "https://verif.example.bj/101"],
            ["", "https://t.me/canal/102", "Le scrutin est reporté", "", "", "", ""],
            ["WhatsApp", "javascript:alert(1)", "<script>alert(1)</script>", "", "", "", ""],
            ["X", "https://x.com/a/status/103", "Un candidat arrêté", "", "", "peut-être", ""],
            ["Twitter", "https://x.com/a/status/104", "Photo de 2016", "2023-01-04T08:00:00Z", "1,5M", "hors contexte", ""],
            ["TikTok", "https://tiktok.com/@a/105", "vidéo", "2031-01-01 10:00", "", "", ""],
            ["TikTok", "https://tiktok.com/@a/106", "vidéo", "", "beaucoup", "", ""],
            ["Facebook", "", "sans lien", "", "", "", ""],
            ["Facebook", "https://facebook.com/posts/107", "démenti douteux", "", "", "vrai", "data:text/html,x"],
            ["Facebook", "https://facebook.com/posts/101", "la même rumeur, vue plus tard", "", "", "", ""]]
    result, log, quarantine = ingest(csv_bytes(rows), "veille_reseaux.csv")
    assert (result.format, log["source"]) == ("claims-csv", "veille_reseaux")
    assert (log["n_received"], log["n_accepted"], log["n_duplicate"], log["n_quarantined"]) == (10, 3, 1, 6)
    claims = {r["url"]: r for r in rows_of(store, "claims", result.seq)}
    first = claims["https://facebook.com/posts/101"]
    assert (first["platform"], first["verdict"], first["reach"]) == ("facebook", "faux", 12_000)
    assert first["first_seen"] == pd.Timestamp("2023-01-03 09:00")  # local 10:00 → UTC
    assert first["text"] == "Les urnes sont déjà remplies à Parakou"  # the first sighting wins
    assert first["debunk_url"] == "https://verif.example.bj/101"
    assert claims["https://t.me/canal/102"]["platform"] == "telegram"
    assert claims["https://t.me/canal/102"]["verdict"] is None
    assert (claims["https://x.com/a/status/104"]["platform"], claims["https://x.com/a/status/104"]["verdict"],
            claims["https://x.com/a/status/104"]["reach"]) == ("x", "trompeur", 1_500_000)
    assert [(int(q["line_no"]), q["field"]) for q in quarantine.to_dict("records")] == [
        (4, "lien"), (5, "verdict"), (7, "date"), (8, "portee"), (9, "lien"), (10, "lien_dementi")]
    assert quarantine["reason"].iloc[0].startswith("lien invalide « javascript:alert(1) »")


def test_claims_verdicts_in_english_and_french(env, ingest):
    store, _ = env
    words = {"true": "vrai", "FALSE": "faux", "Misleading": "trompeur", "non vérifiable": "invérifiable",
             "Invérifiable": "invérifiable", "inverifiable": "invérifiable"}
    rows = [["platform", "url", "verdict"]] + [["facebook", f"https://fb.com/v/{i}", w] for i, w in enumerate(words)]
    result, log, _ = ingest(csv_bytes(rows, delimiter=","), "verdicts.csv")
    assert log["n_accepted"] == len(words)
    got = [r["verdict"] for r in rows_of(store, "claims", result.seq)]
    assert got == list(words.values())


def test_claims_reingest_and_later_sightings(env, ingest):
    store, _ = env
    rows = [["plateforme", "lien", "texte"], ["facebook", "https://facebook.com/r/1", "a"],
            ["facebook", "https://facebook.com/r/2", "b"]]
    _, log, _ = ingest(csv_bytes(rows), "c1.csv")
    assert log["n_accepted"] == 2
    again, _, _ = ingest(csv_bytes(rows), "c1.csv")
    assert again.already_done
    _, log, _ = ingest(csv_bytes(rows + [["facebook", "https://facebook.com/r/3", "c"]]), "c2.csv")
    assert (log["n_accepted"], log["n_duplicate"]) == (1, 2)


# -- what decides the table -----------------------------------------------------------------------------------

@pytest.mark.parametrize("header, source, kind", [
    ("parti;date;heure;lieu", None, "rallies"),
    ("Party,Date,Place", None, "rallies"),
    ("parti;date;commune;categorie;description", None, None),  # an incident report that names a party
    ("date;lieu;description", None, None),
    ("plateforme;lien;texte", None, "claims"),
    ("platform,url", None, "claims"),
    ("plateforme;lien;texte", "kobo:veille", None),  # a KoBo form goes to the KoBo adapter
    ('[{"parti": "x", "date": "y", "lieu": "z"}]', None, None),
])
def test_detection_by_columns(header, source, kind):
    assert tables.detect((header + "\n").encode(), source) == kind


def test_detection_reads_utf16_and_cp1252_headers():
    assert tables.detect("Unité;Parti;Date;Lieu\r\n".encode("cp1252")) == "rallies"
    assert tables.detect("Parti\tDate\tLieu\r\n".encode("utf-16")) == "rallies"
    assert tables.detect(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") is None


def test_a_reports_file_with_a_party_column_stays_a_reports_feed(env, ingest):
    store, _ = env
    rows = [["parti", "date", "commune", "categorie", "description"],
            ["Parti Q", "02/01/2023 10:00", "Parakou", "violence", "heurts entre militants"]]
    result, log, _ = ingest(csv_bytes(rows), "rapports.csv")
    assert result.format == "native-csv" and log["n_accepted"] == 1


@pytest.mark.parametrize("value, expected", [("15h", "15:00"), ("15H30", "15:30"), ("9:05", "09:05"),
                                             ("15", "15:00"), ("25h", None), ("midi", None)])
def test_hours_as_written(value, expected):
    assert hour_text(value) == expected


@pytest.mark.parametrize("value, expected", [("5 000", (5000, True)), ("5.000", (5000, True)), ("2k", (2000, True)),
                                             ("1,5M", (1_500_000, True)), ("", (None, True)), ("~300", (None, False)),
                                             ("12", (12, True))])
def test_counts_as_written(value, expected):
    assert tables.parse_count(value) == expected


def test_platform_from_the_link():
    assert platform_of("https://www.facebook.com/x") == "facebook"
    assert platform_of("https://m.youtube.com/watch?v=1") == "youtube"
    assert platform_of("https://youtu.be/1") == "youtube"
    assert platform_of("https://twitter.com/a") == "x"


# -- roles and queries -----------------------------------------------------------------------------------------

def test_role_views(env, ingest):
    store, _ = env
    ingest(csv_bytes(FRENCH_RALLIES[:3]), "roles_rallies.csv", source="police_roles")
    ingest(csv_bytes([["plateforme", "lien", "verdict"], ["facebook", "https://facebook.com/roles/1", "faux"],
                      ["facebook", "https://facebook.com/roles/2", ""]]), "roles_claims.csv")
    op = {r: store.cursor(r) for r in ("operator", "observer", "journalist")}
    all_rallies = op["operator"].execute("select count(*) from rallies").fetchone()[0]
    assert all_rallies == op["observer"].execute("select count(*) from rallies").fetchone()[0]
    assert all_rallies == op["journalist"].execute("select count(*) from rallies").fetchone()[0]
    columns = {role: [d[0] for d in cur.execute("select * from rallies limit 0").description] for role, cur in op.items()}
    assert "raw" in columns["operator"] and "raw" not in columns["observer"] and "raw" not in columns["journalist"]
    assert "unit" in columns["observer"]
    hidden = op["journalist"].execute(
        "select count(*) from rallies where protection_status is not null or unit is not null or source is not null "
        "or source_ref is not null").fetchone()[0]
    assert hidden == 0
    shown = op["operator"].execute("select count(*) from rallies where unit = 'CRS 3'").fetchone()[0]
    assert shown >= 1

    claims_op = op["operator"].execute("select count(*), count(verdict) from claims").fetchone()
    claims_obs = op["observer"].execute("select count(*) from claims").fetchone()[0]
    claims_j = op["journalist"].execute("select count(*), count(verdict) from claims").fetchone()
    assert claims_obs == claims_op[0] > claims_op[1]
    assert claims_j == (claims_op[1], claims_op[1])
    for role in ("observer", "journalist"):
        assert "raw" not in [d[0] for d in op[role].execute("select * from claims limit 0").description]


# The Désinformation page's other filters, left open: the whole period, every commune.
CLAIMS_ALL = {"date_from": dt.datetime(2000, 1, 1), "date_to": dt.datetime(2100, 1, 1), "communes": []}


@pytest.mark.parametrize("role", ["admin", "operator", "observer", "journalist"])
def test_queries_for_every_role(env, ingest, role):
    store, _ = env
    ingest(csv_bytes(FRENCH_RALLIES[:4]), "q_rallies.csv", source="police_q")
    ingest(csv_bytes([["plateforme", "lien", "texte", "verdict", "vu le"],
                      ["facebook", "https://facebook.com/q/1", "Urnes bourrées", "faux", "05/01/2023 10:00"],
                      ["whatsapp", "https://wa.me/q/2", "Rumeur de report", "", "06/01/2023 10:00"]]), "q_claims.csv")
    rallies = sql.run(store, role, "rallies_upcoming", {
        "date_from": dt.datetime(2023, 1, 5), "date_to": dt.datetime(2023, 1, 7),
        "departements": [], "communes": [], "before_hours": 3, "after_hours": 6})
    assert {"Bloc républicain", "Union progressiste"} <= set(rallies["party"])
    assert "Les Démocrates" not in set(rallies["party"])  # 4 January: before the period
    assert rallies["starts_local"].is_monotonic_increasing
    assert rallies["lat"].notna().all()
    if role == "journalist":
        assert rallies["protection_status"].isna().all() and rallies["unit"].isna().all()
    else:
        assert "accordee" in set(rallies["protection_status"])
    littoral = sql.run(store, role, "rallies_upcoming", {
        "date_from": dt.datetime(2023, 1, 1), "date_to": dt.datetime(2023, 2, 1),
        "departements": ["08"], "communes": [], "before_hours": 3, "after_hours": 6})
    assert set(littoral["commune_code"]) == {"0801"}

    claims = sql.run(store, role, "claims_list", CLAIMS_ALL | {"verdicts": [], "platforms": [], "search": "", "limit": 100})
    assert "https://facebook.com/q/1" in set(claims["url"])
    assert ("https://wa.me/q/2" in set(claims["url"])) == (role != "journalist")
    unchecked = sql.run(store, role, "claims_list", CLAIMS_ALL | {"verdicts": ["non_verifie"], "platforms": ["whatsapp"],
                                                     "search": "", "limit": 100})
    assert unchecked["verdict"].isna().all()
    found = sql.run(store, role, "claims_list", CLAIMS_ALL | {"verdicts": [], "platforms": [], "search": "URNES", "limit": 100})
    assert "https://facebook.com/q/1" in set(found["url"])


# -- the migration -----------------------------------------------------------------------------------------------

def test_migration_2_is_applied_to_a_database_that_already_has_3(settings):
    """Databases created before feeds 6 and 7 existed have migrations 1 and 3: opening them adds 2."""
    store = Store.open(settings)
    con = store.con
    con.execute("drop view scope_operator.rallies; drop view scope_operator.claims; "
                "drop view scope_observer.rallies; drop view scope_observer.claims; "
                "drop view scope_journalist.rallies; drop view scope_journalist.claims; "
                "drop table rallies; drop table claims; delete from schema_version where version = 2")
    store.close()
    store = Store.open(settings)
    try:
        versions = [r[0] for r in store.con.execute("select version from schema_version order by version").fetchall()]
        assert 2 in versions and versions == sorted(set(versions))
        assert store.cursor("journalist").execute("select count(*) from claims").fetchone()[0] == 0
    finally:
        store.close()
