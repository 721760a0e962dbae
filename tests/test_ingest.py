"""The inbox path end to end: nothing is lost, nothing is counted twice, re-ingesting changes nothing.

Files go in with drop_bytes / drop_file and come out through process_inbox or the InboxWatcher
thread, into a real DuckDB file (the `store` fixture).
"""

from __future__ import annotations

import csv
import io
import os
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import count_rows, make_settings

from vigie.ingest import formats, pipeline
from vigie.ingest.inbox import InboxWatcher, drop_bytes, drop_file, pending, process_inbox
from vigie.ingest.pipeline import split_inbox_name
from vigie.store import Store

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
# Records in each sample file, counted by hand (see tests/fixtures/feeds/README.md).
RECORDS = {"native_fr_cp1252.csv": 9, "native_en_bom.csv": 3, "native.jsonl": 3, "native_array.json": 2}


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def count(store, table: str) -> int:
    return count_rows(store, table)


def log_rows(store) -> list[dict]:
    cur = store.raw_cursor().execute("select * from ingest_log order by seq")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def wait_for(condition, timeout: float = 5.0, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


# -- counts add up --------------------------------------------------------------------------------

def test_every_file_accounts_for_every_record(store, settings):
    for name in RECORDS:
        drop_file(settings.inbox, FEEDS / name)
    results = process_inbox(store, settings)
    assert [r.error for r in results] == [None] * len(RECORDS)
    logs = {row["original_name"]: row for row in log_rows(store)}
    assert set(logs) == set(RECORDS)
    for name, n_records in RECORDS.items():
        row = logs[name]
        assert row["status"] == "done"
        assert row["n_received"] == n_records, name
        assert row["n_received"] == row["n_accepted"] + row["n_duplicate"] + row["n_quarantined"], name
    assert count(store, "reports") == sum(row["n_accepted"] for row in logs.values())
    assert count(store, "quarantine") == sum(row["n_quarantined"] for row in logs.values())
    # every accepted report belongs to an incident that exists
    orphans = store.raw_cursor().execute(
        "select count(*) from reports r anti join incidents i on r.incident_id = i.incident_id").fetchone()[0]
    assert orphans == 0 and count(store, "incidents") >= 1
    assert pending(settings.inbox) == []
    assert len(files(settings.processed)) == len(RECORDS)


# -- duplicates -------------------------------------------------------------------------------------

def test_same_source_ref_twice_in_a_file_is_one_report(store, settings):
    data = csv_bytes([["id", "date", "commune", "description"],
                      ["R1", "01/01/2023 10:00", "Cotonou", "premier envoi"],
                      ["R1", "01/01/2023 10:05", "Cotonou", "renvoi corrigé"]])
    drop_bytes(settings.inbox, data, "ref.csv", source="sms")
    [result] = process_inbox(store, settings)
    assert (result.received, result.accepted, result.duplicate, result.quarantined) == (2, 1, 1, 0)
    rows = store.raw_cursor().execute("select source, source_ref, description from reports").fetchall()
    assert rows == [("sms", "R1", "premier envoi")]  # the first one wins


def test_same_source_ref_from_another_source_is_another_report(store, settings):
    data = csv_bytes([["id", "source", "description"], ["R1", "sms", "a"], ["R1", "police", "b"]])
    drop_bytes(settings.inbox, data, "two-sources.csv")
    [result] = process_inbox(store, settings)
    assert (result.accepted, result.duplicate) == (2, 0)


def test_identical_content_without_id_is_a_duplicate(store, settings):
    row = ["02/01/2023 09:00", "Parakou", "violence", "Bagarre devant le bureau de vote"]
    drop_bytes(settings.inbox, csv_bytes([["date", "commune", "categorie", "description"], row, row]), "a.csv")
    [first] = process_inbox(store, settings)
    assert (first.received, first.accepted, first.duplicate) == (2, 1, 1)
    # The same report again in another file (different bytes) is recognised by its content.
    other = ["02/01/2023 09:30", "Parakou", "menace", "Autre chose"]
    drop_bytes(settings.inbox, csv_bytes([["date", "commune", "categorie", "description"], other, row]), "b.csv")
    [second] = process_inbox(store, settings)
    assert (second.received, second.accepted, second.duplicate) == (2, 1, 1)
    assert count(store, "reports") == 2


def test_reingesting_the_same_file_changes_nothing(store, settings):
    path = FEEDS / "native_fr_cp1252.csv"
    drop_file(settings.inbox, path)
    process_inbox(store, settings)
    reports, quarantine, log = count(store, "reports"), count(store, "quarantine"), log_rows(store)
    assert reports == 5 and len(log) == 1

    drop_file(settings.inbox, path)
    [again] = process_inbox(store, settings)
    assert again.already_done and again.accepted == 0
    assert (count(store, "reports"), count(store, "quarantine"), log_rows(store)) == (reports, quarantine, log)
    assert pending(settings.inbox) == []
    assert len(files(settings.processed)) == 2  # both copies kept, both out of the inbox


def test_file_already_committed_but_not_moved_is_just_moved(store, settings):
    """A crash between commit and move leaves the file in the inbox: it must not be ingested twice."""
    drop_file(settings.inbox, FEEDS / "native.jsonl")
    process_inbox(store, settings)
    [done] = files(settings.processed)
    os.replace(settings.processed / done, settings.inbox / done)  # as if the move never happened
    before = (count(store, "reports"), log_rows(store))
    [result] = process_inbox(store, settings)
    assert result.already_done
    assert (count(store, "reports"), log_rows(store)) == before
    assert files(settings.processed) == [done] and pending(settings.inbox) == []


def test_overlapping_ids_add_only_the_new_ones(store, settings):
    header = ["id", "date", "commune", "description"]
    first = [[f"OV-{i}", "03/01/2023 10:00", "Bohicon", f"rapport {i}"] for i in (1, 2, 3)]
    drop_bytes(settings.inbox, csv_bytes([header] + first), "lot1.csv", source="observateurs")
    process_inbox(store, settings)
    second = [[f"OV-{i}", "03/01/2023 12:00", "Bohicon", f"rapport {i}, mis à jour"] for i in (2, 3, 4, 5)]
    drop_bytes(settings.inbox, csv_bytes([header] + second), "lot2.csv", source="observateurs")
    [result] = process_inbox(store, settings)
    assert (result.received, result.accepted, result.duplicate) == (4, 2, 2)
    refs = [r[0] for r in store.raw_cursor().execute("select source_ref from reports order by source_ref").fetchall()]
    assert refs == ["OV-1", "OV-2", "OV-3", "OV-4", "OV-5"]


# -- the file leaves the inbox only after commit ------------------------------------------------------

def test_file_is_moved_only_after_its_rows_are_committed(store, settings, monkeypatch):
    seen = []
    real_move = pipeline._move

    def checking_move(path, folder):
        # A new cursor is its own connection: it sees committed rows only.
        cur = store.raw_cursor()
        seen.append((path.name, cur.execute("select count(*) from reports").fetchone()[0],
                     cur.execute("select count(*) from ingest_log where status = 'done'").fetchone()[0]))
        real_move(path, folder)

    monkeypatch.setattr(pipeline, "_move", checking_move)
    dropped = drop_file(settings.inbox, FEEDS / "native_array.json")
    process_inbox(store, settings)
    assert seen == [(dropped.name, 2, 1)]
    assert files(settings.processed) == [dropped.name]


def test_a_failure_inside_the_transaction_keeps_nothing_and_the_file(store, settings, monkeypatch):
    real_insert = pipeline._insert_reports

    def insert_then_fail(cur, *args):
        real_insert(cur, *args)  # the rows are written inside the transaction...
        raise OSError("disque plein")  # ...and then something goes wrong before the commit

    monkeypatch.setattr(pipeline, "_insert_reports", insert_then_fail)
    dropped = drop_file(settings.inbox, FEEDS / "native_array.json")
    [result] = process_inbox(store, settings)
    assert "disque plein" in result.error
    assert (count(store, "reports"), count(store, "incidents"), count(store, "quarantine")) == (0, 0, 0)
    [row] = log_rows(store)
    assert (row["status"], row["original_name"]) == ("error", "native_array.json")
    assert "disque plein" in row["error"]
    assert files(settings.failed) == [dropped.name] and files(settings.processed) == []

    # Once the cause is gone, the same file put back goes in whole.
    monkeypatch.setattr(pipeline, "_insert_reports", real_insert)
    drop_file(settings.inbox, settings.failed / dropped.name)
    [retry] = process_inbox(store, settings)
    assert (retry.error, retry.accepted) == (None, 2)


# -- files waiting together go in one transaction ----------------------------------------------------

def backlog(settings, n: int, rows: int = 3) -> list[Path]:
    header = ["id", "date", "commune", "description"]
    return [drop_bytes(settings.inbox, csv_bytes([header] + [
        [f"B{k}-{i}", "03/01/2023 10:00", "Bohicon", f"rapport {k}.{i} du lot"] for i in range(rows)]),
        f"lot{k}.csv", source="observateurs") for k in range(n)]


def test_a_backlog_goes_in_one_commit_and_each_file_keeps_its_counts(store, settings):
    backlog(settings, 5)
    # The last file repeats a row of the first: a duplicate across files of one batch.
    header = ["id", "date", "commune", "description"]
    drop_bytes(settings.inbox, csv_bytes([header, ["B0-0", "03/01/2023 10:00", "Bohicon", "rapport 0.0 du lot"],
                                          ["X-1", "03/01/2023 11:00", "Bohicon", "autre chose"]]),
               "lot9.csv", source="observateurs")
    version = store.version
    results = process_inbox(store, settings)
    assert [(r.file_name, r.accepted, r.duplicate) for r in results] == (
        [(f"lot{k}.csv", 3, 0) for k in range(5)] + [("lot9.csv", 1, 1)])
    assert store.version == version + 1  # one commit, one refresh of the pages
    assert len({r.seq for r in results}) == 6 and count(store, "reports") == 16
    assert [(r["original_name"], r["n_accepted"]) for r in log_rows(store)] == (
        [(f"lot{k}.csv", 3) for k in range(5)] + [("lot9.csv", 1)])
    assert pending(settings.inbox) == [] and len(files(settings.processed)) == 6


def test_a_backlog_of_large_files_gives_what_one_file_at_a_time_gives(settings, tmp_path):
    """Large files of a backlog each go in their own transaction, the next one prepared while one is
    written: the same reports, ids, incidents and counts as files processed one by one."""
    header = ["id", "date", "commune", "categorie", "description"]
    lots = [csv_bytes([header] + [[f"G{k}-{i}", f"0{3 + i % 5}/01/2023 1{i % 10}:00", ["Bohicon", "Cotonou"][i % 2],
                                   "violence", f"Bagarre n° {i % 40} vers 1{i % 10}h au marché {k}.{i}"]
                                  for i in range(6000)]) for k in range(3)]
    lots.append(lots[0])  # the same bytes again, behind the file being prepared: already done
    seen = []
    for together in (True, False):
        home = make_settings(tmp_path / f"together-{together}")
        home.ensure_dirs()
        st = Store.open(home)
        try:
            results = []
            for k, data in enumerate(lots):
                drop_bytes(home.inbox, data, f"lot{k}.csv", source="observateurs")
                if not together:
                    results += process_inbox(st, home)
            if together:
                results = process_inbox(st, home)
            seen.append(([(split_inbox_name(r.file_name)[1], r.accepted, r.duplicate, r.already_done)
                          for r in results],
                         st.raw_cursor().execute("select source_ref, report_id, incident_id from reports order by all").fetchall()))
        finally:
            st.close()
    assert seen[0] == seen[1]
    assert [r[3] for r in seen[0][0]] == [False, False, False, True]
    assert len(seen[0][1]) == 18000 and len({i for _, _, i in seen[0][1]}) < 18000  # some grouped


def test_a_move_that_fails_after_the_commit_is_not_a_failure_nor_a_second_ingest(store, settings, monkeypatch):
    def no_move(path, folder):
        raise OSError("disque en lecture seule")

    monkeypatch.setattr(pipeline, "_move", no_move)
    backlog(settings, 2)
    results = process_inbox(store, settings)
    assert [(r.error, r.accepted) for r in results] == [(None, 3), (None, 3)]
    assert len(pending(settings.inbox)) == 2  # committed, still in the inbox
    monkeypatch.undo()
    again = process_inbox(store, settings)
    assert [r.already_done for r in again] == [True, True]
    assert count(store, "reports") == 6 and len(log_rows(store)) == 2
    assert pending(settings.inbox) == [] and len(files(settings.processed)) == 2


def test_a_file_that_breaks_the_batch_fails_alone(store, settings, monkeypatch):
    real_insert = pipeline._insert_reports

    def refuse_lot2(cur, files, seqs):
        if any("rapport 2." in (text or "") for p in files for text in p.accepted.column("description").to_pylist()):
            raise OSError("ligne illisible")
        return real_insert(cur, files, seqs)

    monkeypatch.setattr(pipeline, "_insert_reports", refuse_lot2)
    dropped = backlog(settings, 4)
    results = process_inbox(store, settings)
    assert [(r.file_name, r.error is None) for r in results] == [
        ("lot0.csv", True), ("lot1.csv", True), (dropped[2].name, False), ("lot3.csv", True)]
    assert count(store, "reports") == 9
    assert files(settings.failed) == [dropped[2].name]


# -- the inbox itself -----------------------------------------------------------------------------------

def test_temporary_dot_files_are_ignored(store, settings):
    partial = settings.inbox / ".tmp-en-cours.csv"
    partial.write_bytes(b"id;description\nX1;moiti")
    assert process_inbox(store, settings) == []
    assert partial.exists() and log_rows(store) == []


def test_drop_bytes_is_atomic_and_names_the_source(settings, monkeypatch):
    data = b"id;description\n" + b"Z;" + b"x" * 200_000 + b"\n"
    replaced = []
    real_replace = os.replace

    def watching_replace(src, dst):
        src, dst = Path(src), Path(dst)
        # Before the rename: the data is complete under a hidden name, and the watcher sees nothing.
        replaced.append((src.name.startswith("."), src.parent == settings.inbox, src.read_bytes() == data,
                         dst.exists(), pending(settings.inbox)))
        real_replace(src, dst)

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", watching_replace)
        final = drop_bytes(settings.inbox, data, "../rapports du jour.csv", source="sms gateway")
    assert replaced == [(True, True, True, False, [])]
    assert final.read_bytes() == data
    assert pending(settings.inbox) == [final]
    assert [p.name for p in settings.inbox.iterdir()] == [final.name]  # no temporary file left behind
    assert split_inbox_name(final.name) == ("sms_gateway", "rapports_du_jour.csv")


@pytest.mark.parametrize("source, original, tag", [("kobo__form", "a__b.csv", "kobo_form"), ("__", "x.csv", None),
                                                   (None, "_x.csv", None), ("sms", "__init__.csv", "sms")])
def test_inbox_names_split_back_into_source_and_original(settings, source, original, tag):
    """`__` separates the parts of an inbox name: a source tag must not be able to shift them."""
    final = drop_bytes(settings.inbox, b"id;description\n", original, source=source)
    assert split_inbox_name(final.name) == (tag, original)


def test_a_reader_never_sees_half_a_file(settings):
    """While files are being dropped, every file the watcher can list is complete."""
    data = b"id;description\n" + b"".join(b"W%d;%s\n" % (i, b"y" * 500) for i in range(2_000))
    sizes: list[int] = []
    done = threading.Event()

    def reader():
        while not done.is_set():
            for path in pending(settings.inbox):
                sizes.append(path.stat().st_size)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(10):
            drop_bytes(settings.inbox, data, f"lot{i}.csv")
    finally:
        done.set()
        thread.join(timeout=5)
    assert len(pending(settings.inbox)) == 10
    assert sizes and set(sizes) == {len(data)}


def test_source_tag_is_the_default_source(store, settings):
    drop_bytes(settings.inbox, csv_bytes([["id", "description", "source"], ["S1", "sans canal", ""],
                                          ["S2", "avec canal", "Police"]]), "sms.csv", source="sms")
    process_inbox(store, settings)
    rows = store.raw_cursor().execute("select source_ref, source from reports order by source_ref").fetchall()
    assert rows == [("S1", "sms"), ("S2", "police")]
    assert log_rows(store)[0]["source"] == "sms"


# -- the watcher thread -----------------------------------------------------------------------------------

@pytest.fixture
def watcher(store, settings):
    thread = InboxWatcher(store, settings, poll=0.05)
    thread.start()
    yield thread
    thread.stop()
    thread.join(timeout=5)


def test_watcher_picks_up_a_dropped_file_and_stops(store, settings, watcher):
    drop_file(settings.inbox, FEEDS / "native_en_bom.csv")
    assert wait_for(lambda: count(store, "reports") == 3, timeout=5)
    assert wait_for(lambda: pending(settings.inbox) == [], timeout=2)
    assert watcher.is_alive()
    watcher.stop()
    watcher.join(timeout=2)
    assert not watcher.is_alive()


def test_watcher_survives_a_file_that_makes_the_pipeline_raise(store, settings, watcher, monkeypatch):
    real_parse = formats.parse

    def parse(data, name, **options):
        if "boom" in name:
            raise RuntimeError("analyseur en panne")  # a bug in an adapter, not a bad record
        return real_parse(data, name, **options)

    monkeypatch.setattr(formats, "parse", parse)
    bad = drop_bytes(settings.inbox, (FEEDS / "native_array.json").read_bytes(), "boom.json")
    assert wait_for(lambda: any(r["status"] == "error" for r in log_rows(store)), timeout=5)
    drop_file(settings.inbox, FEEDS / "native.jsonl")
    assert wait_for(lambda: count(store, "reports") == 2, timeout=5)

    [error] = [r for r in log_rows(store) if r["status"] == "error"]
    assert error["file_name"] == bad.name and "analyseur en panne" in error["error"]
    assert files(settings.failed) == [bad.name]
    assert [split_inbox_name(name)[1] for name in files(settings.processed)] == ["native.jsonl"]
    assert watcher.is_alive() and watcher.last_error is None
