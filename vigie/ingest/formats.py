"""Which adapter reads a file: chosen from its name, the inbox source tag and its first bytes.

| file | adapter | format |
|---|---|---|
| `*.sms.jsonl` (written by the webhook receiver) | `sms` | `sms-inbox` |
| source tag `kobo:<form>` / `odk:<form>` | `kobo` (with that form's mapping) | `kobo-json`, `kobo-csv`, `odk-csv`, `odk-json` |
| JSON with `_submission_time` / `_uuid` / `_xform_id_string`, or OData `__id` | `kobo` | `kobo-json`, `odk-json` |
| JSON of Ushahidi posts (`post_content`, or `post_date` + `form_id`) | `ushahidi.posts_to_records` | `ushahidi-api` |
| CSV with `event_id_cnty` / `EVENT_ID_CNTY` | `acled` | `acled` |
| CSV with `Post ID` and `Survey` / `Post Status` / `Post Date (UTC)` … (or 2.x `INCIDENT TITLE`) | `ushahidi` | `ushahidi-csv` |
| CSV with `SubmissionDate` and `meta-instanceID` / `KEY` | `kobo` | `odk-csv` |
| CSV with `_submission_time` / `_uuid` | `kobo` | `kobo-csv` |
| JSON page with `results` + `next`/`previous` of messages (`urn`, `direction`) or runs (`flow`, `values`) | `rapidpro` | `rapidpro-messages`, `rapidpro-runs` |
| JSON `{"reports": [...]}` with `authoredAt` / CSV with `authoredAt`, `content` | `aggie` | `aggie-json`, `aggie-csv` |
| JSON `results[]` of posts with `values` (Ushahidi v3) | `ushahidi_v3` | `ushahidi-v3-api` |
| CSV whose second row is HXL hashtags (not an Ushahidi export) | `hxl` | `hxl-csv` |
| XML (chosen by its root element, see `xmlfeeds.READERS`): CAP 1.2 alerts; KoBo/ODK instances, one or a page/wrapper of them; anything else refused | `cap`; `kobo` | `cap-xml`; `kobo-xml`, `odk-xml` |
| JSON object with a list under `results` / `data` / `items` / `messages` / `runs` / `records` / `features` | its items, dispatched as a JSON array | (that of the items) |
| anything else | `native` | `native-csv`, `native-jsonl` |
"""

from __future__ import annotations

import csv
import io
import json

from vigie.geo import Pack
from vigie.ingest import acled, envelope, kobo, native, sms, ushahidi
from vigie.ingest import aggie, cap, hxl, rapidpro, ushahidi_v3  # feeds-formats
from vigie.ingest import xmlfeeds
from vigie.ingest.records import FeedError, Parsed, decode, sniff_delimiter

# format name -> default source channel when the file does not say
DEFAULT_SOURCES = {
    "native-csv": "fichier",
    "native-jsonl": "fichier",
    "ushahidi-csv": ushahidi.SOURCE,
    "ushahidi-api": ushahidi.SOURCE,
    "kobo-json": "kobo",
    "kobo-csv": "kobo",
    "odk-csv": "odk",
    "odk-json": "odk",
    "acled": acled.SOURCE,
    "sms-inbox": sms.SOURCE,
    # feeds-formats: begin
    "ushahidi-v3-api": ushahidi.SOURCE,
    "rapidpro-messages": rapidpro.SOURCE,
    "rapidpro-runs": rapidpro.SOURCE,
    "aggie-csv": aggie.SOURCE,
    "aggie-json": aggie.SOURCE,
    "hxl-csv": hxl.SOURCE,
    "cap-xml": cap.SOURCE,
    # feeds-formats: end
    "kobo-xml": "kobo",
    "odk-xml": "odk",
}


def parse(data: bytes, name: str, *, source_tag: str | None = None, pack: Pack | None = None) -> Parsed:
    if not data.strip():
        return native.parse_csv("")
    try:
        return _dispatch(decode(data), name, source_tag, pack)
    except FeedError:
        raise
    except (ValueError, UnicodeError, csv.Error) as exc:  # a parser's own error: name the file's problem, not ours
        raise FeedError(f"fichier illisible : {exc}") from exc
    except RecursionError as exc:  # JSON nested thousands of levels deep
        raise FeedError("fichier illisible : JSON imbriqué trop profondément") from exc


def _dispatch(text: str, name: str, source_tag: str | None, pack: Pack | None) -> Parsed:
    if sms.is_inbox_file(name):
        return sms.parse_inbox(text, pack)
    body = text.lstrip("\ufeff \r\n\t")
    if name.lower().endswith(".ushahidi-posts.json"):  # a page written by the Ushahidi pull connector
        doc = _json_document(body)
        if doc is None:
            raise FeedError("page de l'API Ushahidi illisible (JSON invalide)")
        return ushahidi.posts_to_records(doc)
    if xmlfeeds.is_xml(body):  # CAP alerts, KoBo/ODK instances, or refused with the reason (never CSV lines)
        return xmlfeeds.read(body, name, source_tag)
    is_json = body[:1] in ("{", "[")
    if kobo.is_kobo_tag(source_tag):
        if is_json:
            return kobo.parse_json(text, name, source_tag)
        return kobo.parse_csv(text, name, source_tag)
    if is_json:
        doc = _json_document(body)
        if doc is not None:
            if kobo.is_kobo_json(doc):
                return kobo.parse_document(doc, name, source_tag)
            # feeds-formats: begin (before any generic results/data envelope)
            if rapidpro.is_rapidpro_page(doc):
                return rapidpro.read(doc, pack)
            if aggie.is_aggie_json(doc):
                return aggie.read_json(doc)
            if ushahidi_v3.is_v3_payload(doc):
                return ushahidi_v3.read(doc)
            # feeds-formats: end
            if ushahidi.is_posts_payload(doc):
                return ushahidi.posts_to_records(doc)
            # feeds-fix: any other API page envelope is its items, read as a JSON array (see envelope.py)
            page = envelope.items(doc)
            if page is not None:
                return _dispatch(json.dumps(page, ensure_ascii=False), name, source_tag, pack)
        return native.parse_jsonl(text)
    if name.lower().endswith((".jsonl", ".ndjson", ".json")):
        return native.parse_jsonl(text)
    header = _csv_header(body)
    # feeds-formats: begin (an HXL row 2 wins over the header: ACLED's HXL exports too)
    if hxl.is_hxl_text(body) and not ushahidi.is_ushahidi_header(header):
        return hxl.parse_csv(text)
    if aggie.is_aggie_header(header):
        return aggie.parse_csv(text)
    # feeds-formats: end
    if acled.is_acled_header(header):
        return acled.parse_csv(text)
    if ushahidi.is_ushahidi_header(header):
        return ushahidi.parse_csv(text)
    if kobo.is_odk_header(header) or kobo.is_kobo_header(header):
        return kobo.parse_csv(text, name, source_tag)
    return native.parse_csv(text)


def _json_document(body: str) -> object | None:
    """The whole JSON document, or None for JSON Lines and broken JSON (native reads those line by line)."""
    try:
        return json.loads(body, strict=False)
    except (json.JSONDecodeError, RecursionError):
        return None


def _csv_header(text: str) -> list[str]:
    first_line = text.split("\n", 1)[0]
    try:
        return [h.strip() for h in next(csv.reader(io.StringIO(first_line), delimiter=sniff_delimiter(first_line)))]
    except (StopIteration, csv.Error):
        return []


def default_source(format_name: str) -> str:
    return DEFAULT_SOURCES.get(format_name, "fichier")
