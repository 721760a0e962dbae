"""The native feed as people really send it: French spreadsheets, odd encodings, broken rows.

Every file goes through the real inbox path into a real DuckDB file; each test reads back the rows of
its own ingest (by sequence number), so the tests share one store and stay fast.
"""

from __future__ import annotations

import codecs

import csv
import datetime as dt
import io
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from vigie.ingest.inbox import drop_bytes, process_inbox
from vigie.ingest.pipeline import IngestResult

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_tags = itertools.count()


@dataclass
class Ingested:
    result: IngestResult
    reports: pd.DataFrame  # reports of this ingest, with the commune's name
    quarantine: pd.DataFrame  # quarantine rows of this ingest, by line
    log: dict


@pytest.fixture(scope="module")
def env(module_store):
    return module_store


@pytest.fixture
def ingest(env):
    """Drop bytes into the inbox under a fresh source tag, process it, read back what it gave."""
    store, settings = env

    def run(data: bytes, name: str) -> Ingested:
        drop_bytes(settings.inbox, data, name, source=f"t{next(_tags)}")
        [result] = process_inbox(store, settings)
        assert result.error is None, result.error
        cur = store.raw_cursor()
        params = {"seq": result.seq}
        reports = cur.execute(
            """select r.*, c.commune from reports r left join communes c using (commune_code)
               where r.ingest_seq = $seq order by r.report_id""", params).df()
        quarantine = cur.execute(
            "select line_no, field, reason, record from quarantine where ingest_seq = $seq order by line_no",
            params).df()
        log = cur.execute("select * from ingest_log where seq = $seq", params).df().iloc[0].to_dict()
        reports, quarantine = _with_none(reports), _with_none(quarantine)
        assert log["n_received"] == log["n_accepted"] + log["n_duplicate"] + log["n_quarantined"]
        return Ingested(result, reports, quarantine, log)

    return run


def _with_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values as None, as the database gives them, rather than NaN."""
    return frame.astype(object).where(frame.notna(), None)


def by_ref(reports: pd.DataFrame) -> dict[str, dict]:
    return {row["source_ref"]: row for row in reports.to_dict("records")}


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def csv_bytes(rows: list[list[str]], delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


# -- French spreadsheet habits ------------------------------------------------------------------------

def test_french_export_semicolon_decimal_comma_local_dates(ingest):
    got = ingest((FEEDS / "native_fr_cp1252.csv").read_bytes(), "native_fr_cp1252.csv")
    assert (got.log["n_received"], got.log["n_accepted"], got.log["n_quarantined"]) == (9, 5, 4)
    reports = by_ref(got.reports)
    first = reports["BJ-001"]
    # 28/12/2022 14:30 in Benin (UTC+1) is 13:30 UTC; the local wall time is kept beside it.
    assert first["occurred_at"] == ts("2022-12-28 13:30")
    assert first["occurred_local"] == ts("2022-12-28 14:30")
    assert (first["lat"], first["lon"]) == (6.45, 2.35)
    assert (first["commune"], first["geo_precision"]) == ("Abomey-Calavi", "point")
    assert (first["category"], first["severity"]) == ("violence", 3)
    assert reports["BJ-002"]["occurred_at"] == ts("2022-12-29 08:15")
    # A date without a time is midnight local time, 23:00 UTC the day before.
    assert reports["BJ-004"]["occurred_at"] == ts("2022-12-30 23:00")
    assert (reports["BJ-004"]["geo_precision"], reports["BJ-004"]["commune"]) == ("departement", None)
    swapped = reports["BJ-009"]
    assert (swapped["lat"], swapped["lon"], swapped["commune"]) == (6.45, 2.35, "Abomey-Calavi")
    assert "coord_swapped" in swapped["flags"]
    assert swapped["category"] == "achat_conscience"


def test_cp1252_text_is_decoded(ingest):
    got = ingest((FEEDS / "native_fr_cp1252.csv").read_bytes().replace(b"BJ-", b"CP-"), "cp.csv")
    reports = by_ref(got.reports)
    assert reports["CP-001"]["description"] == "Affrontements entre militants à Godomey"
    assert reports["CP-001"]["reporter_name"] == "Témoin A"
    # "’" and "œ" exist in cp1252 but not in latin-1: read as latin-1 they would become control characters.
    assert reports["CP-002"]["description"] == "Menaces contre un délégué, reçu à l’école"
    assert reports["CP-009"]["description"] == "Distribution d'argent, cœur du quartier"
    assert reports["CP-002"]["commune"] == "Sèmè-Kpodji"  # the accented commune column was read too


def test_latin1_text_is_decoded(ingest):
    rows = [["id", "date", "commune", "catégorie", "description"],
            ["L1", "05/01/2023 07:00", "Kétou", "irrégularité", "Procès-verbal déchiré, reçu à Kétou ; façade brûlée"],
            ["L2", "05/01/2023 08:00", "Bembèrèkè", "violence", "Élèves blessés près de l'école"]]
    got = ingest(csv_bytes(rows, encoding="latin-1"), "latin1.csv")
    reports = by_ref(got.reports)
    assert reports["L1"]["description"] == "Procès-verbal déchiré, reçu à Kétou ; façade brûlée"
    assert reports["L2"]["description"] == "Élèves blessés près de l'école"
    assert (reports["L1"]["commune"], reports["L2"]["commune"]) == ("Kétou", "Bembèrèkè")
    assert reports["L1"]["category"] == "irregularite"


def test_utf8_bom_with_english_columns(ingest):
    got = ingest((FEEDS / "native_en_bom.csv").read_bytes(), "native_en_bom.csv")
    assert (got.log["n_received"], got.log["n_accepted"]) == (3, 3)
    reports = by_ref(got.reports)
    one = reports["EN-1"]
    # The BOM is not part of the first column's name: `id` and `date` were both recognised.
    assert one["occurred_at"] == ts("2022-12-27 08:00")
    assert "date_incident_absente" not in one["flags"]
    assert (one["commune"], one["geo_precision"]) == ("Parakou", "point")
    assert (one["category"], one["severity"], one["source"]) == ("manifestation", 3, "observateurs")
    assert (reports["EN-2"]["category"], reports["EN-2"]["severity"]) == ("menace", 1)
    assert (reports["EN-3"]["category"], reports["EN-3"]["severity"]) == ("achat_conscience", 4)
    assert "coord_zero" in reports["EN-2"]["flags"] and reports["EN-2"]["commune_code"] is None


def test_utf8_bom_and_a_cp1252_byte_in_the_header_keep_the_first_column(ingest):
    """A BOM, then a header saved in cp1252 ("localité"): the BOM must not become "ï»¿id"."""
    data = codecs.BOM_UTF8 + "id;date;commune;localité;description\n".encode("cp1252") + (
        "B-1;27/12/2022 08:00;Parakou;marché;Bagarre au marché\n".encode())
    got = ingest(data, "bom_cp1252.csv")
    assert (got.log["n_received"], got.log["n_accepted"]) == (1, 1)
    one = by_ref(got.reports)["B-1"]  # `id` recognised: the reference is the file's own
    assert one["occurred_at"] == ts("2022-12-27 07:00")  # 08:00 in Benin (UTC+1)
    assert one["place_text"] == "marché"  # the cp1252 header matched its alias
    assert one["commune"] == "Parakou"


@pytest.mark.parametrize(
    "value, utc",
    [
        ("2022-12-28T14:30:00Z", "2022-12-28 14:30"),
        ("2022-12-28T14:30:00+00:00", "2022-12-28 14:30"),
        ("2022-12-28T14:30:00+01:00", "2022-12-28 13:30"),
        ("2022-12-28T14:30:00-05:00", "2022-12-28 19:30"),
        ("2022-12-28 14:30 UTC", "2022-12-28 14:30"),
        ("2022-12-28T14:30+01", "2022-12-28 13:30"),
        ("2022-12-28 14:30", "2022-12-28 13:30"),  # no zone: Benin local time
        ("28/12/2022 14:30", "2022-12-28 13:30"),
        ("28-12-2022", "2022-12-27 23:00"),  # "-2022" is a year, not a zone
        ("1672237800", "2022-12-28 14:30"),  # Unix seconds are UTC
    ],
)
def test_dates_with_and_without_zone(ingest, value, utc):
    got = ingest(csv_bytes([["id", "date", "description"], ["D1", value, f"date {value}"]]), "dates.csv")
    assert got.quarantine.empty, got.quarantine.to_dict("records")
    assert got.reports["occurred_at"].iloc[0] == ts(utc)


def test_dates_of_one_file_in_mixed_forms(ingest):
    """One odd value must not stop the others of its file from being read."""
    values = ["2022-12-28T14:30+01", "28/12/2022 14:30", "2022-12-28 14:30", "2022-12-28T14:30:00Z", "demain"]
    rows = [["id", "date", "description"]] + [[f"M{i}", v, f"mixte {i}"] for i, v in enumerate(values)]
    got = ingest(csv_bytes(rows), "mixed.csv")
    assert list(got.reports.sort_values("source_ref")["occurred_at"]) == [
        ts("2022-12-28 13:30"), ts("2022-12-28 13:30"), ts("2022-12-28 13:30"), ts("2022-12-28 14:30")]
    assert got.quarantine[["line_no", "field"]].values.tolist() == [[6, "occurred_at"]]


# -- JSON -------------------------------------------------------------------------------------------

def test_json_lines_with_a_truncated_line(ingest):
    got = ingest((FEEDS / "native.jsonl").read_bytes(), "native.jsonl")
    assert (got.log["n_received"], got.log["n_accepted"], got.log["n_quarantined"]) == (3, 2, 1)
    assert got.log["format"] == "native-jsonl"
    [bad] = got.quarantine.to_dict("records")
    assert bad["line_no"] == 3  # the blank line 2 still counts as a line of the file
    assert "JSON illisible" in bad["reason"]
    assert bad["record"].startswith('{"id": "J-2"')
    reports = by_ref(got.reports)
    assert (reports["J-1"]["commune"], reports["J-1"]["category"]) == ("Porto-Novo", "menace")
    assert reports["J-1"]["occurred_at"] == ts("2022-12-26 09:00")
    assert (reports["J-3"]["commune"], reports["J-3"]["geo_precision"]) == ("Bohicon", "point")
    assert json.loads(reports["J-3"]["raw"])["description"] == "Affiches arrachées"


def test_json_lines_keep_line_numbers_across_unicode_line_separators(ingest):
    """U+2028 and \\x0c inside a JSON string are not line breaks of the file."""
    lines = [
        json.dumps({"id": "U1", "description": "avant\u2028après", "commune": "Cotonou"}, ensure_ascii=False),
        '{"id": "U2", "description": "saut\x0cde page", "commune": "Cotonou"}',
        '{"id": "U3", "descr',
    ]
    got = ingest("\n".join(lines).encode("utf-8"), "sep.jsonl")
    assert (got.log["n_received"], got.log["n_accepted"], got.log["n_quarantined"]) == (3, 2, 1)
    assert got.quarantine["line_no"].tolist() == [3]
    assert by_ref(got.reports)["U2"]["description"] == "sautde page"


def test_json_nan_is_a_missing_value(ingest):
    """Python writes NaN in JSON; it is not JSON, and must not make the file fail."""
    got = ingest(b'{"id": "N1", "lat": NaN, "lon": 2.35, "commune": "Cotonou", "description": "x"}\n', "nan.jsonl")
    [report] = got.reports.to_dict("records")
    assert (report["lat"], report["commune"], report["geo_precision"]) == (None, "Cotonou", "commune")
    assert json.loads(report["raw"])["lat"] is None


def test_json_array_file(ingest):
    got = ingest((FEEDS / "native_array.json").read_bytes(), "native_array.json")
    assert (got.log["n_received"], got.log["n_accepted"]) == (2, 2)
    reports = by_ref(got.reports)
    assert (reports["A-1"]["commune"], reports["A-1"]["geo_precision"]) == ("Sèmè-Kpodji", "arrondissement")
    assert reports["A-1"]["category"] == "desinformation"
    assert reports["A-1"]["description"] == "Rumeur de report du scrutin"
    assert (reports["A-2"]["commune"], reports["A-2"]["geo_precision"]) == ("Cotonou", "point")


def test_one_pretty_printed_json_object_is_one_record(ingest):
    data = json.dumps({"id": "PP1", "commune": "Ouidah", "description": "Urne emportée"}, indent=2).encode()
    got = ingest(data, "un.json")
    assert (got.log["n_received"], got.log["n_accepted"], got.log["n_quarantined"]) == (1, 1, 0)
    assert by_ref(got.reports)["PP1"]["commune"] == "Ouidah"


def test_json_array_element_that_is_not_an_object(ingest):
    data = json.dumps([{"id": "O1", "description": "ok"}, 42, {"id": "O3", "description": "ok aussi"}]).encode()
    got = ingest(data, "mixed.json")
    assert (got.log["n_received"], got.log["n_accepted"], got.log["n_quarantined"]) == (3, 2, 1)
    assert got.quarantine["line_no"].tolist() == [2]
    assert "objet" in got.quarantine["reason"].iloc[0]


# -- bad records ------------------------------------------------------------------------------------

def test_bad_rows_are_quarantined_with_line_and_reason(ingest):
    got = ingest((FEEDS / "native_fr_cp1252.csv").read_bytes().replace(b"BJ-", b"BR-"), "bad.csv")
    quarantine = got.quarantine.to_dict("records")
    assert [(q["line_no"], q["field"]) for q in quarantine] == [
        (6, "occurred_at"), (7, "lat"), (8, None), (9, "description")]
    reasons = [q["reason"] for q in quarantine]
    assert "date de l'incident illisible" in reasons[0]
    assert "latitude illisible" in reasons[1]
    assert "5 champs au lieu de 11" in reasons[2]
    assert "enregistrement vide" in reasons[3]
    # The record is kept so an operator can fix it.
    assert "32/13/2022" in quarantine[0]["record"] and "6,4x" in quarantine[1]["record"]
    assert sorted(got.reports["source_ref"]) == ["BR-001", "BR-002", "BR-003", "BR-004", "BR-009"]


def test_line_numbers_count_quoted_newlines(ingest):
    rows = [["id", "date", "description"],
            ["Q1", "01/01/2023 10:00", "ligne un\nligne deux\nligne trois"],
            ["Q2", "pas une date", "mauvaise date"],
            ["Q3", "01/01/2023 11:00", "bonne"]]
    got = ingest(csv_bytes(rows), "quoted.csv")
    assert got.quarantine["line_no"].tolist() == [5]
    assert by_ref(got.reports)["Q1"]["description"] == "ligne un\nligne deux\nligne trois"


def test_unreadable_longitude(ingest):
    got = ingest(csv_bytes([["id", "lat", "lon", "description"], ["G1", "6.4", "deux", "x"],
                            ["G2", "6,4", "2,4", "y"]]), "lon.csv")
    assert got.quarantine[["line_no", "field"]].values.tolist() == [[2, "lon"]]
    assert "longitude illisible" in got.quarantine["reason"].iloc[0]
    assert got.reports["source_ref"].tolist() == ["G2"]


def test_control_characters_are_stripped(ingest):
    text = "Bureau\x07 de vote\x1b[31m saccagé\x7f\x85 à Cotonou\x0b"
    got = ingest(csv_bytes([["id", "description", "commune"], ["C1", text, "Coto\x08nou"]]), "ctrl.csv")
    [report] = got.reports.to_dict("records")
    assert report["description"] == "Bureau de vote[31m saccagé à Cotonou"
    assert not CONTROL.search(report["description"])
    assert report["commune"] == "Cotonou"


def test_html_payload_is_stored_as_plain_text(ingest):
    payload = """<script>alert('xss')</script><img src=x onerror="alert(1)"> &amp; <b>gras</b>"""
    got = ingest(csv_bytes([["id", "description"], ["H1", payload]]), "html.csv")
    assert got.reports["description"].tolist() == [payload]


def test_unknown_category_becomes_autre_with_a_flag(ingest):
    rows = [["id", "categorie", "description"], ["K1", "Sorcellerie", "x"], ["K2", "VIO", "y"],
            ["K3", "Achat de conscience", "z"], ["K4", "", "sans catégorie"]]
    reports = by_ref(ingest(csv_bytes(rows), "cat.csv").reports)
    assert reports["K1"]["category"] == "autre" and "categorie_inconnue" in reports["K1"]["flags"]
    assert reports["K2"]["category"] == "violence" and "categorie_inconnue" not in reports["K2"]["flags"]
    assert reports["K3"]["category"] == "achat_conscience"
    assert reports["K4"]["category"] is None and "categorie_inconnue" not in reports["K4"]["flags"]


def test_future_date_is_quarantined(ingest):
    benin_now = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    soon = (benin_now + dt.timedelta(minutes=30)).strftime("%d/%m/%Y %H:%M")  # within the tolerance
    later = (benin_now + dt.timedelta(days=2)).strftime("%d/%m/%Y %H:%M")
    got = ingest(csv_bytes([["id", "date", "description"], ["F1", later, "futur"], ["F2", soon, "presque"]]),
                 "future.csv")
    assert got.quarantine[["line_no", "field"]].values.tolist() == [[2, "occurred_at"]]
    assert "futur" in got.quarantine["reason"].iloc[0]
    assert got.reports["source_ref"].tolist() == ["F2"]


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", "id;date;description\n".encode(),
                                  "\ufeffid;date;description\r\n".encode()])
def test_empty_and_header_only_files(ingest, data):
    got = ingest(data, "vide.csv")
    assert (got.result.received, got.result.accepted, got.result.quarantined) == (0, 0, 0)
    assert got.log["status"] == "done" and got.log["error"] is None


def test_binary_file_named_csv(ingest):
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    got = ingest(data, "photo.csv")
    assert (got.log["n_received"], got.log["n_accepted"], got.log["n_quarantined"]) == (1, 0, 1)
    assert "binaire" in got.quarantine["reason"].iloc[0]
    assert got.log["status"] == "done"


def test_file_that_is_not_a_native_feed(ingest):
    got = ingest(csv_bytes([["foo", "bar"], ["1", "2"], ["3", "4"]]), "autre.csv")
    assert (got.log["n_received"], got.log["n_quarantined"]) == (1, 1)
    assert "description" in got.quarantine["reason"].iloc[0]


# -- plain files take Arrow's CSV reader ----------------------------------------------------------------

PLAIN_HEADER = ["id", "source", "date", "latitude", "longitude", "commune", "categorie", "gravite", "description"]
PLAIN_ROWS = [
    ["P1", "sms", "05/01/2023 10:00", "6,3654", "2,4183", "", "violence", "3", "Bagarre au marché, 2 blessés"],
    ["P2", "", "2023-01-05 11:00", "", "", "Sèmè-Kpodji", "menace", "", " espaces autour "],
    ["P3", "police", "", "", "", "ABOMEY-CALAVI", "", "grave", "texte\tavec tabulation"],
]


@pytest.mark.parametrize("delimiter, newline", [(";", "\n"), (",", "\r\n"), ("\t", "\n")])
def test_a_plain_file_is_read_the_same_by_either_reader(delimiter, newline):
    from vigie.ingest import records

    rows = [[c.replace(delimiter, " ") for c in row] for row in PLAIN_ROWS]
    text = newline.join(delimiter.join(row) for row in [PLAIN_HEADER, *rows]) + newline
    header, columns, lines = records.read_csv_plain(text)
    careful_header, careful_rows, careful_lines, rejections = records.read_csv_text(text)
    assert (header, lines, rejections) == (careful_header, careful_lines, [])
    assert {name: columns[name].to_pylist() for name in header} == {
        name: [row[i] for row in careful_rows] for i, name in enumerate(careful_header)}


@pytest.mark.parametrize("text", [
    'id;description\nQ1;"avec ; guillemets"\n',  # quotes: the careful reader
    "id;description\nB1;un\n\nB2;deux\n",  # a blank line shifts the line numbers
    "id;description\nR1;un;de trop\nR2;deux\n",  # a line of another width: its reason goes to quarantine
    "id;description\rC1;retour chariot seul\r",
    "id;description\nN1;nul\x00\n",
])
def test_other_files_take_the_careful_reader(text):
    from vigie.ingest import records

    assert records.read_csv_plain(text) is None


def test_a_large_plain_file_keeps_its_line_numbers_in_quarantine(ingest):
    rows = [["id", "date", "commune", "description"]] + [
        [f"L{k}", "05/01/2023 10:00" if k != 700 else "35/13/2023", "Cotonou", f"rapport {k}"] for k in range(1000)]
    got = ingest(csv_bytes(rows), "grand.csv")
    assert (got.result.accepted, got.result.quarantined) == (999, 1)
    assert got.quarantine[["line_no", "field"]].values.tolist() == [[702, "occurred_at"]]
