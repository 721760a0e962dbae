"""New feed formats (issue 13, "Formats to add"), end to end through the real inbox.

Every sample under tests/fixtures/feeds/<system>/ is shaped like the system's own documentation or
test fixtures (see PROVENANCE.md in each folder). For each file: received = accepted + duplicates +
quarantined = the number of records really in the file, and the fields land where they belong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_adapters import assert_counts, ingest, quarantine, reports, ts
from vigie.ingest import cap, formats, hxl, kobo, xmlfeeds
from vigie.ingest.records import FeedError

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("ushahidi/posts_v3_page.json", "ushahidi-v3-api"),
        ("rapidpro/messages_page.json", "rapidpro-messages"),
        ("rapidpro/runs_page.json", "rapidpro-runs"),
        ("aggie/aggie_reports_export.csv", "aggie-csv"),
        ("aggie/aggie_api_csv.json", "aggie-json"),
        ("hxl/hxl_signalements.csv", "hxl-csv"),
        ("acled/acled_hxl_export.csv", "hxl-csv"),
        ("cap/cap_alerte_cotonou.xml", "cap-xml"),
        ("cap/cap_alertes_liste.xml", "cap-xml"),
        ("ushahidi/ushahidi_export_benin2023.csv", "ushahidi-csv"),  # its HXL row stays Ushahidi's
        ("kobo/kobo_api_v2_signalement.xml", "kobo-xml"),
        ("odk/odk_collect_instance.xml", "odk-xml"),
        ("odk/aggregate_download_submission.xml", "odk-xml"),
    ],
)
def test_each_new_format_goes_to_its_adapter(path, expected):
    data = (FEEDS / path).read_bytes()
    assert formats.parse(data, Path(path).name).format == expected


def test_ushahidi_v3_posts_page(settings, store):
    result = ingest(settings, store, FEEDS / "ushahidi/posts_v3_page.json")
    # 4 items: 3 posts and a string that is not a post
    assert_counts(store, result, received=4, accepted=3, duplicate=0, quarantined=1)
    assert quarantine(store, result.seq) == {4: None}
    df = reports(store, "ushahidi")
    first = df["2101"]
    assert first.occurred_at == ts("2023-01-08 10:45")  # the survey's incident date, UTC
    assert first.occurred_local == ts("2023-01-08 11:45")
    assert first.reported_at == ts("2023-01-08 11:02:10")
    assert (first.commune_code, first.geo_precision) == ("0801", "point") or first.geo_precision == "point"
    assert (first.category, first.severity, first.reporter_name) == ("destruction", 3, "Observateur 17")
    assert first.description.startswith("Urne emportée — Des inconnus")
    empty_values = df["2102"]  # `values: []`, a tag id the page does not name
    assert empty_values.occurred_at == ts("2023-01-08 12:15")
    assert empty_values.category == "autre" and "categorie_inconnue" in empty_values.flags
    assert df["2103"].category == "achat_conscience" and df["2103"].reporter_contact == "obs.zou@example.org"


def test_rapidpro_messages_page(settings, store):
    result = ingest(settings, store, FEEDS / "rapidpro/messages_page.json")
    # 3 messages: 2 incoming (one a photo without text), 1 outgoing reply
    assert_counts(store, result, received=3, accepted=2, duplicate=0, quarantined=1)
    assert quarantine(store, result.seq) == {2: "direction"}
    df = reports(store, "rapidpro")
    sms = df["msg:4105426"]
    assert (sms.category, sms.reporter_phone) == ("violence", "+22997001122")
    assert sms.reported_at == ts("2023-01-08 09:15:03.813162")
    assert sms.description.startswith("bagarre devant le bureau")
    photo = df["msg:4105431"]
    assert "image/jpeg" in photo.description and photo.reporter_phone == "+22996002233"


def test_rapidpro_runs_page(settings, store):
    result = ingest(settings, store, FEEDS / "rapidpro/runs_page.json")
    assert_counts(store, result, received=2, accepted=2, duplicate=0, quarantined=0)
    df = reports(store, "rapidpro")
    run = df["run:d973e20e-4b5c-4bd1-8f5d-6b8ba7d2e1c1"]
    assert run.category == "menace"  # the flow's rule category "Intimidation", not the typed "2"
    assert run.occurred_at == ts("2023-01-08 09:22:10")
    assert run.reported_at == ts("2023-01-08 09:19:50")
    assert run.geo_precision == "commune" and run.reporter_phone == "+22997001122"
    assert run.description == "des hommes armés menacent les électeurs"
    other = df["run:0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"]
    assert other.category == "autre" and "categorie_inconnue" in other.flags  # rule category "Other": value kept


def test_aggie_reports_csv(settings, store):
    result = ingest(settings, store, FEEDS / "aggie/aggie_reports_export.csv")
    # 3 reports: one with an unreadable authoredAt is quarantined, never dated "now"
    assert_counts(store, result, received=3, accepted=2, duplicate=0, quarantined=1)
    assert quarantine(store, result.seq) == {4: "occurred_at"}
    df = reports(store, "aggie")
    first = df["63ba7c1e9f1b2a0012a4c001"]
    assert first.occurred_at == ts("2023-01-08 08:40")
    assert first.reported_at == ts("2023-01-08 08:45:12")
    assert first.category == "destruction" and first.description.startswith("Bureau de vote saccagé")
    second = df["63ba7c1e9f1b2a0012a4c002"]
    assert second.occurred_at == ts("2023-01-08 09:10")  # zone-less Aggie time is UTC
    assert "63ba7c1e9f1b2a0012a4c003" not in df


def test_aggie_reports_json(settings, store):
    result = ingest(settings, store, FEEDS / "aggie/aggie_api_csv.json")
    assert_counts(store, result, received=2, accepted=2, duplicate=0, quarantined=0)
    df = reports(store, "aggie")
    assert df["63ba7c1e9f1b2a0012a4c011"].occurred_at == ts("2023-01-08 15:30")
    assert df["63ba7c1e9f1b2a0012a4c010"].reporter_name == "@veille_pn"


def test_hxl_tagged_csv(settings, store):
    result = ingest(settings, store, FEEDS / "hxl/hxl_signalements.csv")
    # 4 records (the hashtag row is not one): one with an impossible date
    assert_counts(store, result, received=4, accepted=3, duplicate=0, quarantined=1)
    assert quarantine(store, result.seq) == {5: "occurred_at"}
    df = reports(store, "hxl")
    first = df["HXL-001"]
    assert first.occurred_at == ts("2023-01-08 08:30")  # zone-less local time (UTC+1) → UTC
    assert (first.geo_precision, first.category) == ("point", "violence")
    assert df["HXL-002"].geo_precision == "commune" and df["HXL-002"].category == "achat_conscience"
    assert df["HXL-004"].category == "autre" and "categorie_inconnue" in df["HXL-004"].flags


def test_acled_export_with_an_hxl_row(settings, store):
    result = ingest(settings, store, FEEDS / "acled/acled_hxl_export.csv")
    assert_counts(store, result, received=3, accepted=3, duplicate=0, quarantined=0)
    df = reports(store, "acled")
    protest, attack = df["BEN2101"], df["BEN2102"]
    assert (protest.category, protest.severity) == ("manifestation", 1)
    assert (attack.category, attack.severity) == ("violence", 4)
    assert protest.occurred_local.date().isoformat() == "2023-01-08"
    regional = df["BEN2103"]  # geo_precision 3: not placed on Parakou's point
    assert regional.geo_precision in ("departement", "none") and regional.category == "violence"


def test_cap_alert(settings, store):
    result = ingest(settings, store, FEEDS / "cap/cap_alerte_cotonou.xml")
    assert_counts(store, result, received=1, accepted=1, duplicate=0, quarantined=0)
    alert = reports(store, "cap")["BJ-CENA-2023-0108-001"]
    assert alert.occurred_at == ts("2023-01-08 08:50")  # onset 09:50+01:00
    assert alert.reported_at == ts("2023-01-08 09:15")
    assert (alert.category, alert.severity, alert.geo_precision) == ("violence", 3, "point")
    assert alert.description.startswith("Troubles près d'un bureau de vote")  # the French info block


def test_cap_alerts_in_a_feed(settings, store):
    result = ingest(settings, store, FEEDS / "cap/cap_alertes_liste.xml")
    assert_counts(store, result, received=2, accepted=1, duplicate=0, quarantined=1)
    assert quarantine(store, result.seq) == {2: "status"}


def test_cap_refuses_entities_and_doctype():
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
            '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol;</identifier></alert>')
    assert cap.is_cap(bomb)
    with pytest.raises(FeedError, match="DOCTYPE"):
        cap.read(bomb)


def test_hxl_tags_are_matched_by_hashtag_and_attributes():
    assert hxl.parse_tag("#geo +lat") == ("#geo", frozenset({"lat"}))
    assert hxl.parse_tag("Latitude") is None
    assert hxl.is_hashtag_row(["#date", "", "#adm2+name"])
    assert not hxl.is_hashtag_row(["#1 en tête", "texte"])
    assert not hxl.is_hashtag_row(["#1", "#2"])  # numbered rows of a native file are not tags
    native = "id;date;commune;texte\n#1;2023-01-05 10:00;Cotonou;bagarre\n".encode()
    assert formats.parse(native, "signalements.csv").format == "native-csv"


# -- HXL export of incidents ------------------------------------------------------------------------


def test_hxl_export_reads_back_and_holds_only_the_role_view(fixture_store):
    import csv
    import io

    from tests.fixture_data import PII_MARKERS
    from tests.test_exports import export_for
    from vigie.exports import to_hxl

    frame = export_for(fixture_store, "journalist")
    data = to_hxl(frame)
    text = data.decode("utf-8")
    for marker in PII_MARKERS:
        assert marker not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == "#event+id" and "#adm2+name" in rows[1] and "#geo+lat" in rows[1]
    assert len(rows) == len(frame) + 2
    assert not any(cell.startswith(("=", "+", "@")) for row in rows[2:] for cell in row)
    # Vigie's own HXL reader reads it back: one record per incident, commune and category mapped
    parsed = formats.parse(data, "vigie-incidents-hxl.csv")
    assert parsed.format == "hxl-csv" and parsed.received == len(frame)
    first = frame.iloc[0]
    back = parsed.records.iloc[0]
    assert back.source_ref == str(first.incident_id) and back.category == first.category
    assert back.commune == first.commune


# -- Ushahidi CSV exports: empty row 2, repeated labels, 2.x local time -----------------------------


def test_ushahidi_export_with_an_empty_row_2_and_repeated_labels(settings, store):
    result = ingest(settings, store, FEEDS / "ushahidi/ushahidi_v3_export_row2_vide.csv")
    assert_counts(store, result, received=2, accepted=2, duplicate=0, quarantined=0)
    df = reports(store, "ushahidi")
    first = df["3001"]
    assert first.occurred_at == ts("2023-01-08 09:55")  # Post Date (UTC)
    assert first.commune_code is not None and first.geo_precision == "point"
    assert first.category == "destruction"
    assert "deuxième description" not in first.description  # the first of two same-labelled fields wins
    assert first.reporter_phone == "+22990112233"
    assert df["3002"].reporter_contact == "obs@example.org"


def test_ushahidi_2x_classic_incident_date_is_local_time(settings, store):
    result = ingest(settings, store, FEEDS / "ushahidi/ushahidi_2x_classic.csv")
    assert_counts(store, result, received=2, accepted=2, duplicate=0, quarantined=0)
    df = reports(store, "ushahidi")
    assert df["12"].occurred_local == ts("2023-01-08 09:30")  # as the deployment wrote it (Benin, UTC+1)
    assert df["12"].occurred_at == ts("2023-01-08 08:30")
    assert (df["12"].category, df["12"].geo_precision) == ("violence", "point")


# -- XML submissions (KoBo / ODK instances), through the KoBo mapping -------------------------------


def test_kobo_api_xml_page(settings, store):
    result = ingest(settings, store, FEEDS / "kobo/kobo_api_v2_signalement.xml")
    assert result.format == "kobo-xml"
    assert_counts(store, result, received=3, accepted=3, duplicate=0, quarantined=0)
    df = reports(store, "observateurs")  # the mapping's source, chosen by the root's id (the asset uid)
    first = df["6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"]
    assert first.occurred_at == ts("2023-01-08 09:15")  # incident/date_incident + heure_incident (+01:00)
    assert (first.category, first.severity, first.geo_precision) == ("destruction", 3, "point")
    assert first.reporter_name == "Observateur fictif 11" and first.reporter_phone == "+22900000111"
    # <temoins> twice is a repeat group: both accounts are the description, the first witness the reporter
    meeting = df["7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e"]
    assert meeting.description == ("Un groupe a coupé la sono pendant le discours du candidat. ; "
                                   "Jets de bouteilles vers la tribune, le meeting est interrompu.")
    assert meeting.reporter_name == "Témoin fictif A" and meeting.category == "perturbation"
    assert df["8c3d4e5f-6a7b-4c8d-ae9f-1a2b3c4d5e6f"].category == "irregularite"


def test_odk_collect_instance(settings, store):
    result = ingest(settings, store, FEEDS / "odk/odk_collect_instance.xml")
    assert (result.format, result.received, result.accepted) == ("odk-xml", 1, 1)
    row = reports(store, "observateurs")["9d4e5f6a-7b8c-4d9e-bf0a-2b3c4d5e6f70"]  # orx:meta/orx:instanceID
    assert (row.category, row.severity, row.geo_precision) == ("logistique", 1, "point")
    assert row.occurred_at == ts("2023-01-08 06:45")


def test_aggregate_download_submission(settings, store):
    result = ingest(settings, store, FEEDS / "odk/aggregate_download_submission.xml")
    assert_counts(store, result, received=1, accepted=1, duplicate=0, quarantined=0)  # <mediaFile> is no record
    row = reports(store, "observateurs")["0e5f6a7b-8c9d-4e0f-8a1b-3c4d5e6f7081"]
    assert row.reported_at == ts("2023-01-08 13:22:07.052")  # the submissionDate attribute
    assert row.category == "achat_conscience"


def test_xml_submission_with_a_tag_and_no_mapping_id(settings, store):
    instance = (b'<data id="autre_formulaire"><incident><type_incident>violence_physique</type_incident>'
                b'<description>bagarre</description></incident><lieu><commune>kandi</commune></lieu>'
                b'<meta><instanceID>uuid:x-1</instanceID></meta></data>')
    parsed = formats.parse(instance, "soumission.xml", source_tag="odk:signalement_incident_2023")
    assert parsed.format == "odk-xml" and parsed.records.iloc[0].category == "violence"
    untagged = formats.parse(instance, "soumission.xml")  # no mapping: the native names, on the last segment
    assert (untagged.records.iloc[0].description, untagged.records.iloc[0].commune) == ("bagarre", "kandi")


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        ('<?xml version="1.0"?><rss version="2.0"><channel><item><title>x</title></item></channel></rss>',
         "non reconnu"),
        ('<?xml version="1.0"?><!DOCTYPE data [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
         '<data id="f"><q>&e;</q><meta><instanceID>uuid:1</instanceID></meta></data>', "DOCTYPE"),
        ('<data id="f"><q>coupé', "coupé"),
        ('<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"><h:head>'
         '<h:title>Signalement</h:title><model><instance><data id="f"><meta><instanceID/></meta></data>'
         '</instance></model></h:head></h:html>', "définition de formulaire"),
    ],
    ids=["rss", "entities", "truncated", "xform-definition"],
)
def test_unrecognised_xml_is_one_quarantined_record(settings, store, tmp_path, xml, reason):
    path = tmp_path / "envoi.xml"
    path.write_text(xml, encoding="utf-8")
    with pytest.raises(FeedError, match=reason):
        formats.parse(path.read_bytes(), path.name)
    result = ingest(settings, store, path)
    assert_counts(store, result, received=1, accepted=0, duplicate=0, quarantined=1)  # never 0, never CSV lines
    assert quarantine(store, result.seq) == {None: None}


def test_xml_wrapper_counts_what_is_not_a_submission():
    page = ("<root><count>2</count><next/><previous/><results>"
            "<f id='f'><texte>bagarre au marché</texte><meta><instanceID>uuid:a</instanceID></meta></f>"
            "<f id='f'><texte>sans identifiant</texte></f></results></root>")
    parsed = formats.parse(page.encode(), "page.xml")
    assert (parsed.format, parsed.received, len(parsed.records)) == ("kobo-xml", 2, 1)
    assert [(r.line_no, "meta/instanceID" in r.reason) for r in parsed.rejections] == [(2, True)]
    empty = formats.parse(b"<root><count>0</count><next/><previous/><results/></root>", "vide.xml")
    assert (empty.received, len(empty.records), empty.rejections) == (0, 0, [])


def test_csv_whose_first_column_is_html_is_not_xml():
    assert not xmlfeeds.is_xml("<b>id</b>;date;description\nx;05/01/2023;texte\n")
    assert xmlfeeds.is_xml("<data id='f'>\n<meta/>")
    assert xmlfeeds.is_xml('<?xml version="1.0"?>\n<root/>')


def test_cap_is_read_through_the_xml_readers():
    assert [r.name for r in xmlfeeds.READERS][0] == "cap"
    import vigie.ingest.formats as module
    assert "merge:" not in Path(module.__file__).read_text(encoding="utf-8")


# -- KoBo mappings: repeat groups and select_multiple -----------------------------------------------


def test_kobo_json_repeat_groups_and_select_multiple(settings, store):
    result = ingest(settings, store, FEEDS / "kobo/kobo_api_v2_temoins.json")
    assert_counts(store, result, received=2, accepted=2, duplicate=0, quarantined=0)
    df = reports(store, "observateurs")
    kandi = df["4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d"]
    # temoins/temoignage, inside the repeat, is the description: every witness's account
    assert kandi.description == ("Des hommes armés de gourdins empêchent les électeurs d'entrer. ; "
                                 "Un électeur a été frappé devant l'école.")
    assert kandi.reporter_name == "Témoin fictif C"  # temoins/nom_temoin[1]
    assert kandi.severity == 3  # incident/gravite empty: victimes/etat, the gravest of moderee and grave
    assert kandi.category == "menace"  # select_multiple, rule "first": the first choice given
    assert df["5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e"].description.startswith("Appels à chasser")  # temoins: []


def test_select_multiple_priority_rule(tmp_path, monkeypatch):
    (tmp_path / "f1.toml").write_text(
        'form_ids = ["f1"]\nselect_multiple = "priority"\n[fields]\ncategory = "types"\n'
        'severity = "rep/gravite"\n[categories]\nvio = "violence"\nmen = "menace"\nlog = "logistique"\n',
        encoding="utf-8")
    monkeypatch.setenv("VIGIE_KOBO_MAPPINGS", str(tmp_path))
    page = {"results": [
        {"_uuid": "u1", "_xform_id_string": "f1", "types": "log men vio", "texte": "x",
         "rep": [{"rep/gravite": "1"}, {"rep/gravite": "3"}, {"rep/gravite": "2"}]},
        {"_uuid": "u2", "_xform_id_string": "f1", "types": "inconnu log", "texte": "y"},
        {"_uuid": "u3", "_xform_id_string": "f1", "types": "inconnu", "texte": "z"},
    ]}
    import json
    parsed = kobo.parse(json.dumps(page).encode(), "page.json")
    assert list(parsed.records.category) == ["violence", "logistique", "inconnu"]  # listed first in [categories]
    assert parsed.records.iloc[0].severity == "3"
    (tmp_path / "f1.toml").write_text('select_multiple = "grave"\n', encoding="utf-8")
    with pytest.raises(FeedError, match="select_multiple"):
        kobo.find_mapping("f1")
