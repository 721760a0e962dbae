"""Grouping keys for reports stored without them: run once at a server's start, before it serves.

Reports stored before schema version 5 (or while grouping was off) have no words and names, and those
before version 7 no index keys. This is ingest's business (the keys are the grouping's), so it lives
here and not in the store, which knows nothing of ingest.
"""

from __future__ import annotations

import pyarrow as pa

from vigie.ingest.group import GroupSettings
from vigie.ingest.match import index_rows, match_keys
from vigie.ingest.pipeline import BLOCK, index_keys
from vigie.store import Store


def backfill_match_keys(store: Store, chunk: int = 100_000) -> None:
    with store.write_lock:
        _backfill(store, chunk)


def _backfill(store: Store, chunk: int) -> None:
    """Reports stored without grouping keys (before schema version 5, or while grouping was off) get
    their words and names, and reports without index keys (before version 7) get them: once, at the
    first start with grouping on."""
    if GroupSettings.from_env().window_hours <= 0:
        return  # grouping off: nothing reads the keys
    cur = store.raw_cursor()
    # Set once every report has its keys, cleared by an ingest with grouping off: a start does not
    # scan a million reports to find none.
    if cur.execute("select value from meta where key = 'grouping_keys'").fetchone() == ("complete",):
        return
    while True:
        rows = cur.execute(
            """select report_id, description from main.reports
               where match_text is null and description is not null limit $n""", {"n": chunk}).df()
        if rows.empty:
            break
        keys = match_keys(rows["description"])
        rows["match_text"], rows["match_names"] = keys.words.to_pylist(), keys.names.to_pylist()
        cur.register("backfill", rows[["report_id", "match_text", "match_names"]])
        cur.execute("""update main.reports set match_text = b.match_text, match_names = b.match_names
                       from backfill b where reports.report_id = b.report_id""")
        cur.unregister("backfill")
    while True:
        rows = cur.execute(
            """select r.report_id, r.occurred_at, r.commune_code, r.category, r.description, r.match_text,
                      r.match_names
               from main.reports r anti join main.report_keys k using (report_id)
               where r.commune_code is not null and r.category is not null and r.description is not null
                 and r.match_text is not null
               limit $n""", {"n": chunk}).to_arrow_table()
        if not rows.num_rows:
            break
        index = index_rows(rows.column("match_text").combine_chunks(), rows.column("match_names").combine_chunks())
        cur.register("rows_in", rows)
        blocks = cur.execute(f"select {BLOCK} as block from rows_in").to_arrow_table().column("block")
        cur.unregister("rows_in")
        keys = index_keys(cur, blocks, index)
        cur.register("new_keys", pa.table({"report_id": rows.column("report_id").take(keys.column("row")),
                                           "occurred_at": rows.column("occurred_at").take(keys.column("row")),
                                           "kind": keys.column("kind"), "key": keys.column("key")}))
        cur.execute("insert into main.report_keys select * from new_keys")
        cur.unregister("new_keys")
    store.replace_row("meta", {"key": "grouping_keys", "value": "complete"}, cur)
