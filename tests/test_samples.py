"""Every sample under tests/fixtures/feeds/ (found by glob: a new sample is covered without editing this
file) goes through the real inbox into a fresh store, and its counts add up twice:

- received = accepted + duplicate + quarantined, in the result and in the ingest log;
- received = the number of records really in the file, counted here with the standard library alone,
  independently of Vigie's readers.

What a record is, by file type:
- CSV: every row the csv module reads after the header (separator: the most frequent of `; , tab |` on
  the first line); a blank line is no record, nor is row 2 when it is an HXL hashtag row or has only
  empty cells (Ushahidi v3 exports write one or the other).
- JSON Lines (`.jsonl`, `.sms.jsonl`): every non-blank line.
- JSON: a list's elements; an object's list under its envelope key (`results`, `value`, `data`, `items`,
  `messages`, `runs`, `reports`, `records`, `features`); any other object is one record.
- XML: one record per CAP `<alert>` and per XForm instance, that is per `meta/instanceID` element.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.test_adapters import ingest, log_row

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
SAMPLES = sorted(p for p in FEEDS.rglob("*") if p.is_file() and p.suffix.lower() not in (".md", ".toml"))
ENVELOPES = ("results", "value", "data", "items", "messages", "runs", "reports", "records", "features")
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}alert"


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")  # native_fr_cp1252.csv, as a French spreadsheet saves it


def _csv_records(text: str) -> int:
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t|", key=first_line.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    body = [(i, row) for i, row in enumerate(rows[1:], start=2) if row and not (len(row) == 1 and not row[0].strip())]
    if body and body[0][0] == 2:
        cells = [c.strip() for c in body[0][1] if c.strip()]
        if all(c.startswith("#") for c in cells):  # an HXL row, or a row of empty cells
            body = body[1:]
    return len(body)


def _json_records(doc: object) -> int:
    if isinstance(doc, list):
        return len(doc)
    if isinstance(doc, dict):
        for key in ENVELOPES:
            if isinstance(doc.get(key), list):
                return len(doc[key])
    return 1


def _xml_records(text: str) -> int:
    root = ET.fromstring(text)
    local = lambda tag: tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""  # noqa: E731
    alerts = sum(1 for el in root.iter() if el.tag == CAP)
    instances = sum(1 for el in root.iter() if local(el.tag) == "meta" for child in el if local(child.tag) == "instanceID")
    return alerts + instances


def records_in(path: Path) -> int:
    text = _text(path)
    name = path.name.lower()
    if name.endswith((".jsonl", ".ndjson")):
        return sum(1 for line in text.split("\n") if line.strip())
    if name.endswith(".json"):
        return _json_records(json.loads(text))
    if name.endswith(".xml"):
        return _xml_records(text)
    if name.endswith(".csv"):
        return _csv_records(text)
    raise AssertionError(f"{path.name}: no independent count for this kind of file; add one here")


@pytest.mark.parametrize("path", SAMPLES, ids=[str(p.relative_to(FEEDS)) for p in SAMPLES])
def test_every_sample_adds_up(settings, store, path: Path):
    expected = records_in(path)
    result = ingest(settings, store, path)
    assert result.received == result.accepted + result.duplicate + result.quarantined, result
    row = log_row(store, result.seq)
    assert row["n_received"] == row["n_accepted"] + row["n_duplicate"] + row["n_quarantined"] == result.received
    assert result.received == expected, (path.name, result.format, result.received, expected)


def test_the_walk_finds_the_samples():
    kinds = {p.suffix for p in SAMPLES}
    assert {".csv", ".json", ".jsonl", ".xml"} <= kinds
    assert len(SAMPLES) >= 25 and FEEDS / "odk" / "odk_collect_instance.xml" in SAMPLES
