"""Feed adapters of other systems (Ushahidi, KoBo/ODK, ACLED, SMS), end to end through the real inbox.

Every sample under tests/fixtures/feeds/ was written from the system's public documentation, with one
or two bad records each: they must land in quarantine with their line, the rest must be ingested.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import count_rows

from vigie.geo import load_pack
from vigie.ingest import acled, formats, kobo, sms, ushahidi
from vigie.ingest.inbox import drop_bytes, process_inbox
from vigie.ingest.records import FeedError

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
USHAHIDI_CSV = FEEDS / "ushahidi" / "ushahidi_export_benin2023.csv"
USHAHIDI_API = FEEDS / "ushahidi" / "posts_v5_page1.json"
KOBO_JSON = FEEDS / "kobo" / "kobo_api_v2_signalement.json"
KOBO_CSV = FEEDS / "kobo" / "kobo_export_signalement.csv"
ODK_CSV = FEEDS / "kobo" / "signalement_incident_2023.csv"
ACLED_NEW = FEEDS / "acled" / "acled_benin_2022_2023.csv"
ACLED_OLD = FEEDS / "acled" / "acled_benin_ancien.csv"
SMS_INBOX = FEEDS / "sms" / "messages.sms.jsonl"
KOBO_TAG = "kobo:signalement_incident_2023"


# -- helpers ----------------------------------------------------------------------------------------


def ingest(settings, store, path: Path, source: str | None = None):
    drop_bytes(settings.inbox, path.read_bytes(), path.name, source)
    (result,) = process_inbox(store, settings)
    assert result.error is None, result.error
    return result


def log_row(store, seq: int) -> dict:
    return store.raw_cursor().execute("select * from ingest_log where seq = $seq", {"seq": seq}).df().iloc[0].to_dict()


class Row(dict):
    """A report as a dict whose columns read as attributes (None stays None, unlike in a DataFrame)."""

    __getattr__ = dict.__getitem__


def reports(store, source: str) -> dict[str, Row]:
    cur = store.raw_cursor().execute(
        "select * from reports where source = $source order by source_ref", {"source": source}
    )
    names = [d[0] for d in cur.description]
    rows = [Row(zip(names, values)) for values in cur.fetchall()]
    return {row.source_ref: row for row in rows}


def quarantine(store, seq: int) -> dict[int | None, str | None]:
    rows = store.raw_cursor().execute(
        "select line_no, field from quarantine where ingest_seq = $seq order by line_no", {"seq": seq}
    ).fetchall()
    return dict(rows)


def assert_counts(store, result, received: int, accepted: int, duplicate: int, quarantined: int) -> None:
    assert (result.received, result.accepted, result.duplicate, result.quarantined) == (
        received, accepted, duplicate, quarantined)
    row = log_row(store, result.seq)
    assert row["n_received"] == row["n_accepted"] + row["n_duplicate"] + row["n_quarantined"] == received
    assert (row["n_accepted"], row["n_duplicate"], row["n_quarantined"]) == (accepted, duplicate, quarantined)


def snapshot(store) -> tuple:
    return tuple(count_rows(store, t) for t in ("reports", "incidents", "quarantine", "status_events"))


def assert_reingest_changes_nothing(settings, store, path: Path, source: str | None = None) -> None:
    before = snapshot(store)
    drop_bytes(settings.inbox, path.read_bytes(), path.name, source)
    (again,) = process_inbox(store, settings)
    assert again.already_done
    assert snapshot(store) == before


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def assert_no_phone_outside_its_column(rows: dict[str, Row]) -> None:
    for row in rows.values():
        if row.reporter_phone:
            digits = row.reporter_phone.lstrip("+")
            for column in ("description", "place_text", "reporter_name", "reporter_contact"):
                assert digits not in (row[column] or ""), (row.source_ref, column)


# -- format detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, tag, expected",
    [
        (USHAHIDI_CSV, None, "ushahidi-csv"),
        (USHAHIDI_API, None, "ushahidi-api"),
        (KOBO_JSON, None, "kobo-json"),
        (KOBO_CSV, None, "kobo-csv"),
        (KOBO_CSV, "kobo_signalement_incident_2023", "kobo-csv"),  # the tag as it is written in inbox names
        (ODK_CSV, None, "odk-csv"),
        (ACLED_NEW, None, "acled"),
        (ACLED_OLD, None, "acled"),
        (SMS_INBOX, None, "sms-inbox"),
    ],
)
def test_each_file_goes_to_its_adapter(path, tag, expected):
    parsed = formats.parse(path.read_bytes(), path.name, source_tag=tag, pack=load_pack("benin"))
    assert parsed.format == expected
    assert formats.default_source(expected) != "fichier"


def test_native_files_still_go_to_the_native_adapter():
    csv_bytes = "date;commune;categorie;description\n05/01/2023 10:00;Cotonou;VIO;bagarre au marché\n".encode()
    assert formats.parse(csv_bytes, "rapport.csv").format == "native-csv"
    jsonl = b'{"commune": "Cotonou", "description": "bagarre"}\n'
    assert formats.parse(jsonl, "rapport.jsonl").format == "native-jsonl"
    assert formats.parse(b'[{"commune": "Cotonou", "description": "x"}]', "a.json").format == "native-jsonl"


# -- Ushahidi ---------------------------------------------------------------------------------------


def test_ushahidi_csv_export_end_to_end(settings, store):
    result = ingest(settings, store, USHAHIDI_CSV)
    assert result.format == "ushahidi-csv"
    # 8 records (the HXL row is not one): 5 new, the repeated post 1041, a bad date and a cut line.
    assert_counts(store, result, received=8, accepted=5, duplicate=1, quarantined=2)
    assert quarantine(store, result.seq) == {7: "occurred_at", 8: None}

    df = reports(store, "ushahidi")
    assert set(df) == {"1041", "1042", "1043", "1044", "1047"}
    first = df["1041"]
    assert first.occurred_at == ts("2023-01-05 08:40")  # "Post Date (UTC)" stays UTC
    assert first.occurred_local == ts("2023-01-05 09:40")
    assert first.reported_at == ts("2023-01-05 09:12:44")
    assert (first.commune_code, first.geo_precision) == ("0301", "point")
    assert (first.category, first.severity) == ("violence", 3)
    assert first.reporter_phone == "+22900112233" and first.reporter_contact is None
    assert first.description.startswith("Affrontements entre militants — Des militants")

    second = df["1042"]
    assert second.occurred_at == ts("2023-01-04 19:30")  # the survey's incident date wins over Post Date
    assert (second.commune_code, second.geo_precision, second.category) == ("1203", "commune", "achat_conscience")
    assert second.reporter_contact == "observateur.zou@example.org" and second.reporter_phone is None

    swapped = df["1043"]
    assert swapped.commune_code == "0405" and "coord_swapped" in swapped.flags
    unknown = df["1044"]
    assert unknown.category == "autre" and "categorie_inconnue" in unknown.flags
    sms_post = df["1047"]
    assert sms_post.category is None and sms_post.description.startswith("bagarre au marché Dantokpa")
    assert_no_phone_outside_its_column(df)

    assert_reingest_changes_nothing(settings, store, USHAHIDI_CSV)


def test_ushahidi_api_page_joins_the_export(settings, store):
    ingest(settings, store, USHAHIDI_CSV)
    result = ingest(settings, store, USHAHIDI_API)
    assert result.format == "ushahidi-api"
    # Post 1041 came in the CSV export already: same source and id, so a duplicate.
    assert_counts(store, result, received=4, accepted=2, duplicate=1, quarantined=1)
    assert quarantine(store, result.seq) == {4: None}
    df = reports(store, "ushahidi")
    rally = df["1050"]
    assert (rally.commune_code, rally.geo_precision, rally.category, rally.severity) == (
        "0703", "point", "perturbation", 2)
    assert rally.occurred_at == ts("2023-01-06 17:15")
    sms_post = df["1051"]
    assert sms_post.reporter_phone == "+22900778899" and sms_post.category is None
    assert_reingest_changes_nothing(settings, store, USHAHIDI_API)


# -- KoBo / ODK -------------------------------------------------------------------------------------


def test_kobo_api_json_end_to_end(settings, store):
    result = ingest(settings, store, KOBO_JSON)
    assert result.format == "kobo-json"
    assert_counts(store, result, received=5, accepted=3, duplicate=0, quarantined=2)
    assert quarantine(store, result.seq) == {4: "occurred_at", 5: None}  # 30 February; a null record

    df = reports(store, "observateurs")  # the mapping, found by _xform_id_string, names the channel
    ouidah = df["0b7d5c1a-3f2e-4d6b-9a8c-1e2f3a4b5c6d"]
    assert ouidah.occurred_at == ts("2023-01-06 14:20")  # date + time question, 15:20+01:00
    assert ouidah.reported_at == ts("2023-01-06 14:35:12")  # _submission_time is UTC
    assert (ouidah.commune_code, ouidah.geo_precision) == ("0304", "point")
    assert (ouidah.category, ouidah.severity, ouidah.language) == ("achat_conscience", 2, "fr")
    assert ouidah.reporter_phone == "+22900000101" and ouidah.reporter_name == "Observateur fictif 01"
    parakou = df["1c8e6d2b-4a3f-4e7c-8b9d-2f3a4b5c6d7e"]
    assert (parakou.commune_code, parakou.geo_precision) == ("0405", "point")  # from _geolocation
    assert (parakou.category, parakou.severity) == ("violence", 3)  # select_multiple: the first known
    godomey = df["2d9f7e3c-5b4a-4f8d-9cae-3a4b5c6d7e8f"]
    assert (godomey.commune_code, godomey.geo_precision, godomey.category) == ("0301", "arrondissement", "logistique")
    assert_no_phone_outside_its_column(df)
    assert_reingest_changes_nothing(settings, store, KOBO_JSON)


def test_kobo_csv_export_with_the_form_tag(settings, store):
    ingest(settings, store, KOBO_JSON)
    result = ingest(settings, store, KOBO_CSV, source=KOBO_TAG)
    assert result.format == "kobo-csv"
    # The Ouidah submission came by the API already (same _uuid); Banikoara has a latitude "abc".
    assert_counts(store, result, received=4, accepted=1, duplicate=1, quarantined=2)
    assert quarantine(store, result.seq) == {4: "lat", 5: None}
    urne = reports(store, "observateurs")["4f1b9a5e-7d6c-4b0f-9e1a-5c6d7e8f9012"]
    assert (urne.commune_code, urne.geo_precision, urne.category, urne.severity) == (
        "0208", "commune", "irregularite", 4)
    assert urne.occurred_at == ts("2023-01-08 05:55")
    assert_reingest_changes_nothing(settings, store, KOBO_CSV, source=KOBO_TAG)


def test_odk_central_csv_found_by_its_file_name(settings, store):
    result = ingest(settings, store, ODK_CSV)
    assert result.format == "odk-csv"
    assert_counts(store, result, received=3, accepted=2, duplicate=0, quarantined=1)
    assert quarantine(store, result.seq) == {4: "occurred_at"}  # "hier soir"
    df = reports(store, "observateurs")
    kandi = df["6b3d1c70-9f8e-4d2b-a03c-7e8f90123456"]  # KEY without "uuid:"
    assert kandi.occurred_at == ts("2023-01-08 09:30")
    assert kandi.reported_at == ts("2023-01-08 10:12:31.512")
    assert (kandi.commune_code, kandi.geo_precision, kandi.category, kandi.severity) == (
        "0103", "point", "arrestation", 3)
    misspelt = df["7c4e2d81-a09f-4e3c-b14d-8f9012345678"]
    assert misspelt.geo_precision == "none" and "non_localise" in misspelt.flags
    assert misspelt.place_text == "Abomey-Kalavi"  # kept for the "à localiser" queue
    assert_reingest_changes_nothing(settings, store, ODK_CSV)


def test_a_form_tag_without_mapping_refuses_the_file_with_the_reason(settings, store):
    result = ingest(settings, store, KOBO_CSV, source="kobo:formulaire_inconnu")
    assert_counts(store, result, received=1, accepted=0, duplicate=0, quarantined=1)
    reason = store.raw_cursor().execute("select reason from quarantine where ingest_seq = $s",
                                        {"s": result.seq}).fetchone()[0]
    assert "formulaire_inconnu" in reason and "correspondance" in reason


def test_mapping_files_are_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_KOBO_MAPPINGS", str(tmp_path))
    (tmp_path / "f1.toml").write_text('[fields]\ncatgory = "q1"\n', encoding="utf-8")
    with pytest.raises(FeedError, match="catgory"):
        kobo.find_mapping("f1")
    (tmp_path / "f1.toml").write_text('[fields]\ncategory = "q1"\n[categories]\nx = "bagarre"\n', encoding="utf-8")
    with pytest.raises(FeedError, match="taxonomie"):
        kobo.find_mapping("f1")
    (tmp_path / "f1.toml").write_text('form_ids = ["abc123"]\n[fields]\ncategory = ["q1", "groupe/q2"]\n',
                                      encoding="utf-8")
    assert kobo.find_mapping(xform_ids={"abc123"}).fields["category"] == ("q1", "groupe/q2")


def test_kobo_without_mapping_uses_native_names():
    text = ('{"results": [{"_uuid": "u1", "_submission_time": "2023-01-05T10:00:00", "grp/commune": "Cotonou", '
            '"grp/categorie": "VIO", "grp/description": "bagarre", "_geolocation": [6.365, 2.418]}]}')
    parsed = kobo.parse(text.encode(), "export.json")
    rec = parsed.records.iloc[0]
    assert (rec.source, rec.source_ref, rec.commune, rec.category, rec.description) == (
        "kobo", "u1", "Cotonou", "violence", "bagarre")
    assert (rec.lat, rec.lon, rec.reported_at) == ("6.365", "2.418", "2023-01-05T10:00:00Z")


# -- ACLED ------------------------------------------------------------------------------------------


def test_acled_current_schema_end_to_end(settings, store):
    result = ingest(settings, store, ACLED_NEW)
    assert result.format == "acled"
    assert_counts(store, result, received=8, accepted=6, duplicate=0, quarantined=2)
    assert quarantine(store, result.seq) == {7: "occurred_at", 8: None}  # "31 Febuary 2023"; a cut line
    df = reports(store, "acled")
    attack = df["BEN2302"]
    assert attack.occurred_local == ts("2023-01-03 00:00") and attack.occurred_at == ts("2023-01-02 23:00")
    assert (attack.commune_code, attack.category, attack.severity, attack.language) == ("0208", "violence", 4, "en")
    assert attack.reported_at == ts("2023-01-11 01:20:00")  # Unix timestamp 1673400000
    assert df["BEN2301"].category == "manifestation" and df["BEN2301"].severity == 1
    assert df["BEN2303"].category == "violence" and df["BEN2303"].severity == 2  # mob violence
    assert df["BEN2304"].category == "arrestation"
    regional = df["BEN2305"]  # geo_precision 3: only the département is known
    assert (regional.geo_precision, regional.commune_code, regional.departement_code) == ("departement", None, "01")
    assert regional.lat is None
    odd = df["BEN2308"]
    assert odd.category == "autre" and "categorie_inconnue" in odd.flags
    assert_reingest_changes_nothing(settings, store, ACLED_NEW)


def test_acled_older_upper_case_schema(settings, store):
    result = ingest(settings, store, ACLED_OLD)
    assert_counts(store, result, received=4, accepted=3, duplicate=0, quarantined=1)
    assert quarantine(store, result.seq) == {5: "lat"}
    df = reports(store, "acled")
    assert df["BEN101"].occurred_local == ts("2016-04-12 00:00")  # DD/MM/YYYY
    assert (df["BEN101"].category, df["BEN101"].severity) == ("manifestation", 2)  # Riots/Protests
    assert (df["BEN102"].commune_code, df["BEN102"].severity) == ("0105", 4)
    assert (df["BEN103"].commune_code, df["BEN103"].category) == ("0205", "securite")  # "10,9800"
    assert_reingest_changes_nothing(settings, store, ACLED_OLD)


@pytest.mark.parametrize("value, expected", [
    ("05 January 2023", "2023-01-05"), ("5 january 2023", "2023-01-05"), ("05-Jan-2023", "05-Jan-2023"),
    ("2023-01-05", "2023-01-05"), ("05/01/2023", "05/01/2023"), ("31 Febuary 2023", "31 Febuary 2023"),
])
def test_acled_event_dates(value, expected):
    assert acled.event_day(value) == expected


# -- SMS --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def names():
    return load_pack("benin").names


@pytest.mark.parametrize("text, category, place, description", [
    ("VIO ABOMEY-CALAVI affrontements entre militants à Godomey", "violence", "ABOMEY-CALAVI",
     "affrontements entre militants à Godomey"),
    ("vio Abomey Calavi bagarre", "violence", "Abomey Calavi", "bagarre"),  # longest name, not "Abomey"
    ("Vio Abomey bagarre", "violence", "Abomey", "bagarre"),
    ("#men: Grand-Popo menaces contre les agents", "menace", "Grand-Popo", "menaces contre les agents"),
    ("MEN grand popo menaces", "menace", "grand popo", "menaces"),
    ("IRR SO AVA, bourrage d'urnes", "irregularite", "SO AVA", "bourrage d'urnes"),
    ("ARR N'Dali", "arrestation", "N'Dali", None),
    ("VIO", "violence", None, None),
    ("DES inconnu urnes brûlées", "destruction", None, "inconnu urnes brûlées"),
    ("VIOLENCE à Cotonou", None, None, "VIOLENCE à Cotonou"),
    ("XYZ Cotonou bagarre", None, None, "XYZ Cotonou bagarre"),
    ("   ", None, None, None),
])
def test_sms_text_is_split_into_code_place_and_text(names, text, category, place, description):
    parsed = sms.parse_sms_text(text, names)
    assert (parsed.category, parsed.place, parsed.description) == (category, place, description)


def test_sms_inbox_file_end_to_end(settings, store):
    result = ingest(settings, store, SMS_INBOX, source="sms")
    assert result.format == "sms-inbox"
    # 10 lines: a cut JSON line and a message without text are quarantined; a Twilio retry is a duplicate.
    assert_counts(store, result, received=10, accepted=7, duplicate=1, quarantined=2)
    assert quarantine(store, result.seq) == {7: None, 8: "text"}
    df = reports(store, "sms")
    vio = df["twilio:SM5a1f0c3e9b2d4e6f8a0b1c2d3e4f5a6b"]
    assert (vio.category, vio.commune_code, vio.geo_precision) == ("violence", "0301", "commune")
    assert vio.description == "affrontements entre militants à Godomey"
    assert vio.reporter_phone == "+22900000011"
    assert vio.occurred_at == vio.reported_at == ts("2023-01-05 09:14:03")
    assert "date_incident_absente" in vio.flags
    assert df["africastalking:ATXid_4b9c2e1f7a6d"].category == "achat_conscience"
    assert df["africastalking:ATXid_4b9c2e1f7a6d"].commune_code == "1203"
    assert df["rapidpro:f0a1b2c3-d4e5-4f60-8172-8394a5b6c7d8"].commune_code == "0904"  # Grand Popo
    uncoded = df["twilio:SM6b2f1d4f0c3e5f7a9b1c2d3e4f5a6b7c"]
    assert uncoded.category is None and uncoded.geo_precision == "none"
    assert uncoded.description == "Bonjour, il y a une bagarre au marché Dantokpa"
    lost = df["twilio:SM7c3a2e5a1d4f6a8b0c2d3e4f5a6b7c8d"]
    assert (lost.category, lost.geo_precision) == ("destruction", "none")
    assert df["africastalking:ATXid_8e2d4c6b1a3f"].commune_code == "0305"  # "#irr: Sô-Ava"
    arr = df["rapidpro:a9b8c7d6-e5f4-4a3b-9c2d-1e0f9a8b7c6d"]
    assert (arr.category, arr.commune_code, arr.geo_precision) == ("securite", "0301", "arrondissement")
    assert_no_phone_outside_its_column(df)
    assert_reingest_changes_nothing(settings, store, SMS_INBOX, source="sms")


# -- damaged files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [USHAHIDI_CSV, USHAHIDI_API, KOBO_JSON, KOBO_CSV, ODK_CSV, ACLED_NEW, ACLED_OLD,
                                  SMS_INBOX], ids=lambda p: p.name)
def test_a_file_cut_in_the_middle_is_still_accounted_for(settings, store, path):
    data = path.read_bytes()
    drop_bytes(settings.inbox, data[: len(data) // 2], path.name)
    drop_bytes(settings.inbox, b"\x00\x01binaire\xff" * 50, path.name)
    for result in process_inbox(store, settings):
        assert result.error is None
        row = log_row(store, result.seq)
        assert row["n_received"] == row["n_accepted"] + row["n_duplicate"] + row["n_quarantined"] >= 1


def test_posts_to_records_takes_a_page_as_the_connector_gets_it():
    import json

    page = json.loads(USHAHIDI_API.read_text(encoding="utf-8"))
    parsed = ushahidi.posts_to_records(page)
    assert parsed.received == 4 and len(parsed.records) == 3 and parsed.rejections[0].line_no == 4
    assert list(parsed.records["source_ref"]) == ["1041", "1050", "1051"]
    assert json.loads(parsed.raw.iloc[0])["id"] == 1041  # the post as the API gave it
    assert ushahidi.posts_to_records({"result": page["results"][1]}).records.iloc[0].category == "perturbation"
    with pytest.raises(FeedError):
        ushahidi.posts_to_records({"erreur": "jeton expiré"})
