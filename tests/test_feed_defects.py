"""Issue 13, defects: each test failed before its fix (real DuckDB file, files through the inbox)."""

from __future__ import annotations

import json
import urllib.parse

from tests.conftest import count_rows
from tests.test_ingest import csv_bytes

from vigie.ingest import formats
from vigie.ingest.inbox import drop_bytes, process_inbox
from vigie.ingest.normalize import parse_datetimes


def ingest(store, settings, data: bytes, name: str, source: str | None = None):
    drop_bytes(settings.inbox, data, name, source=source)
    [result] = process_inbox(store, settings)
    assert result.error is None
    assert result.received == result.accepted + result.duplicate + result.quarantined
    return result


def quarantine_reasons(store) -> list[tuple[str, str]]:
    return store.raw_cursor().execute("select field, reason from quarantine order by line_no").fetchall()


# -- distinct reports with the same text ------------------------------------------------------------

def test_two_sms_with_the_same_words_are_two_reports_of_one_incident(store, settings):
    header = ["id", "date", "commune", "categorie", "telephone", "description"]
    words = "Urnes emportées par des inconnus au bureau de vote de Zongo"
    data = csv_bytes([header,
                      ["SM1", "08/01/2023 10:00", "Parakou", "violence", "+22990000001", words],
                      ["SM2", "08/01/2023 10:00", "Parakou", "violence", "+22990000002", words]])
    result = ingest(store, settings, data, "two-observers.csv", source="sms")
    assert (result.received, result.accepted, result.duplicate) == (2, 2, 0)
    incidents = store.raw_cursor().execute("select count(distinct incident_id) from reports").fetchone()[0]
    assert incidents == 1  # one incident, corroborated by two reports


def test_same_words_without_id_from_two_reporters_are_two_reports_and_from_one_a_duplicate(store, settings):
    header = ["date", "commune", "categorie", "telephone", "description"]
    row = ["08/01/2023 11:00", "Parakou", "violence", "+22990000001", "Bagarre devant l'école"]
    other_reporter = row[:3] + ["+22990000002"] + row[4:]
    result = ingest(store, settings, csv_bytes([header, row, other_reporter, row]), "no-ids.csv")
    assert (result.accepted, result.duplicate) == (2, 1)


def test_a_resent_id_is_still_a_duplicate_even_with_new_words(store, settings):
    header = ["id", "description"]
    ingest(store, settings, csv_bytes([header, ["R9", "premier texte"]]), "a.csv", source="sms")
    again = ingest(store, settings, csv_bytes([header, ["R9", "texte corrigé"]]), "b.csv", source="sms")
    assert (again.accepted, again.duplicate) == (0, 1)


# -- empty JSON objects with a `type` ----------------------------------------------------------------

def test_a_typed_json_object_without_text_category_or_place_is_quarantined(store, settings):
    lines = [{"type": "Feature", "geometry": None, "properties": {}},
             {"type": "report", "id": 12},
             {"type": "violence", "commune": "Parakou"}]  # a real category: kept
    data = "\n".join(json.dumps(obj) for obj in lines).encode()
    result = ingest(store, settings, data, "typed.jsonl")
    assert (result.received, result.accepted, result.quarantined) == (3, 1, 2)
    reasons = quarantine_reasons(store)
    assert all(field == "description" and "vide" in reason for field, reason in reasons)


# -- API page envelopes -----------------------------------------------------------------------------

def test_an_api_page_of_n_items_is_n_records(store, settings):
    page = {"count": 3, "next": None, "results": [
        {"id": "a1", "text": "Bourrage d'urnes signalé", "date": "2023-01-08T09:00:00Z", "commune": "Parakou"},
        {"id": "a2", "text": "Bourrage d'urnes signalé", "date": "2023-01-08T09:00:00Z", "commune": "Parakou"},
        {"id": "a1", "text": "renvoi", "date": "2023-01-08T09:00:00Z"},
        {"type": "Feature"},
    ]}
    result = ingest(store, settings, json.dumps(page, indent=2).encode(), "page.json", source="api")
    assert (result.received, result.accepted, result.duplicate, result.quarantined) == (4, 2, 1, 1)


def test_every_envelope_key_is_unwrapped():
    for key in ("results", "data", "items", "messages", "runs"):
        doc = {key: [{"text": "un"}, {"text": "deux"}], "meta": {"page": 1}}
        parsed = formats.parse(json.dumps(doc).encode(), "page.json")
        assert parsed.received == 2, key
    nested = {"data": {"items": [{"text": "un"}, {"text": "deux"}, {"text": "trois"}]}}
    assert formats.parse(json.dumps(nested).encode(), "page.json").received == 3


# -- dates ------------------------------------------------------------------------------------------

def test_an_unreadable_date_is_never_the_time_of_ingestion(store, settings):
    header = ["reported_at", "commune", "description"]
    data = csv_bytes([header, ["le 8 au matin", "Parakou", "Bagarre"], ["", "Parakou", "Sans date"]])
    result = ingest(store, settings, data, "dates.csv")
    assert (result.accepted, result.quarantined) == (1, 1)
    [(field, reason)] = quarantine_reasons(store)
    assert field == "reported_at" and "illisible" in reason


def test_date_shapes_of_real_exports():
    values = ["Jan 1, 2018 12:00:00 AM",  # ODK Briefcase (local time)
              "Dec 31, 2022 1:05:09 PM",
              "2014-09-29T16:08:53+0000",  # PHP's DATE_ISO8601 (Ushahidi)
              "2023-01-05T10:00:00.123456",  # microseconds, local time
              "2023-01-05T10:00:00.123456Z",
              "05/01/2023 10:00:00.5"]
    got = [str(t) for t in parse_datetimes(values, 1)]
    assert got == ["2017-12-31 23:00:00", "2022-12-31 12:05:09", "2014-09-29 16:08:53",
                   "2023-01-05 09:00:00.123456", "2023-01-05 10:00:00.123456", "2023-01-05 09:00:00.500000"]


# -- SMS --------------------------------------------------------------------------------------------

def test_an_mms_without_text_is_kept_with_its_media_noted(store, settings):
    from vigie.webhook import inbox_record, parse_twilio

    body = urllib.parse.urlencode({"MessageSid": "MM1", "From": "+22990000009", "NumMedia": "2",
                                   "MediaUrl0": "https://api.twilio.com/m/1", "MediaUrl1": "javascript:alert(1)",
                                   "MediaContentType0": "image/jpeg"}).encode()
    message = parse_twilio(body, "application/x-www-form-urlencoded")  # no Body at all: not refused
    assert message["text"] == "" and message["media"] == ["https://api.twilio.com/m/1"]
    result = ingest(store, settings, inbox_record("twilio", message), "twilio-MM1.sms.jsonl", source="sms")
    assert (result.accepted, result.quarantined) == (1, 0)
    [(description,)] = store.raw_cursor().execute("select description from reports").fetchall()
    assert description == "[MMS : 1 pièce jointe]"


def test_the_gateways_sent_time_is_the_reported_time(store, settings):
    from vigie.webhook import inbox_record, parse_africastalking, parse_rapidpro, parse_twilio

    at = parse_africastalking(urllib.parse.urlencode(
        {"from": "+22990000001", "text": "VIO COTONOU bagarre", "id": "AT1", "date": "2023-01-08 09:15:00"}).encode(), "")
    rp = parse_rapidpro(json.dumps({"contact": {"urn": "tel:+22990000002"}, "input": {
        "uuid": "u-1", "text": "MEN PARAKOU menaces", "created_on": "2023-01-08T09:20:00.123456Z",
        "attachments": ["image/jpeg:https://rp.example/a.jpg"]}}).encode(), "application/json")
    tw = parse_twilio(urllib.parse.urlencode({"MessageSid": "SM1", "From": "+22990000003", "Body": "IRR DJOUGOU",
                                              "DateSent": "Sun, 08 Jan 2023 09:25:00 +0000"}).encode(), "")
    assert [m["sent_at"] for m in (at, rp, tw)] == ["2023-01-08T09:15:00Z", "2023-01-08T09:20:00Z",
                                                     "2023-01-08T09:25:00Z"]
    assert rp["media"] == ["https://rp.example/a.jpg"]
    lines = b"".join(inbox_record(p, m) for p, m in (("africastalking", at), ("rapidpro", rp), ("twilio", tw)))
    ingest(store, settings, lines, "gateways.sms.jsonl", source="sms")
    got = store.raw_cursor().execute("select strftime(reported_at, '%H:%M') from reports order by reported_at")
    assert [r[0] for r in got.fetchall()] == ["09:15", "09:20", "09:25"]


def test_a_zone_less_sent_time_in_an_inbox_line_is_utc(store, settings):
    line = {"provider": "x", "message_id": "1", "from": "+229", "text": "VIO COTONOU", "sent_at": "2023-01-08 09:15:00",
            "received_at": "2023-01-08T09:16:00Z"}
    ingest(store, settings, json.dumps(line).encode(), "x.sms.jsonl", source="sms")
    [(reported,)] = store.raw_cursor().execute("select strftime(reported_at, '%H:%M') from reports").fetchall()
    assert reported == "09:15"


def test_the_receiver_started_on_its_own_reads_the_secret_file(tmp_path, monkeypatch):
    from tests.test_webhook import post, start_receiver, stop_receiver, twilio

    home = tmp_path / "state"
    home.mkdir()
    (home / "webhook-secret").write_text("from-the-file\n")
    monkeypatch.setenv("VIGIE_HOME", str(home))
    r = start_receiver(tmp_path / "inbox", secret=None)
    try:
        assert post(r.url("/sms/twilio", secret="from-the-file"), twilio("SM1", "+229", "VIO COTONOU"))[0] == 200
        assert post(r.url("/sms/twilio", secret="wrong"), twilio("SM2", "+229", "VIO COTONOU"))[0] == 403
    finally:
        stop_receiver(r)
