"""The inbox: the way in for every other process, and the thread that empties it.

Writers put a file under a temporary dot-name and rename it into place (atomic on one file
system), so the watcher never sees half a file. The watcher processes files in name order; names
start with a UTC timestamp, so that is arrival order.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
import threading
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from vigie.config import Settings
from vigie.geo import Locator
from vigie.ingest.pipeline import IngestResult, Prepared, SameAsPending, commit_files, prepare_file, split_inbox_name
from vigie.store import Store

log = logging.getLogger(__name__)

POLL_SECONDS = 0.3
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, limit: int = 80) -> str:
    return _SAFE.sub("_", name)[-limit:].lstrip(".") or "fichier"


def drop_bytes(inbox: Path, data: bytes, original_name: str, source: str | None = None) -> Path:
    """Write `data` into the inbox atomically; returns the final path."""
    inbox.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    # "__" separates the parts of the name (see pipeline.split_inbox_name): the tag must not contain it.
    tag = re.sub(r"_{2,}", "_", safe_name(source, 40)).strip("_") if source else ""
    final = inbox / f"{stamp}-{secrets.token_hex(3)}__{tag}__{safe_name(Path(original_name).name)}"
    tmp = inbox / f".tmp-{final.name}"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return final


def drop_file(inbox: Path, path: Path, source: str | None = None) -> Path:
    return drop_bytes(inbox, Path(path).read_bytes(), Path(path).name, source)


def pending(inbox: Path) -> list[Path]:
    if not inbox.exists():
        return []
    return sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith("."))


# When files wait (a burst, or a server catching up), several go into one transaction: the fixed cost
# of a commit (grouping queries, refreshing the state, invalidating the pages' caches) is paid once.
BATCH_ROWS = 5_000  # enough to share the fixed cost; more only grows the memory of the candidate pairs
BATCH_FILES = 100


def process_inbox(store: Store, settings: Settings, locator: Locator | None = None,
                  after_each=None) -> list[IngestResult]:
    """Process every file waiting in the inbox, in arrival order; a file that fails is moved to failed/
    with the error logged, and the others go on.

    Two files at a time: while a batch is written (DuckDB, under the store's write lock), the next file
    is read, parsed, validated and located in a worker thread (pyarrow and DuckDB release the GIL), so a
    backlog of large files keeps both cores busy."""
    locator = locator or Locator(store.pack)
    results: list[IngestResult] = []
    batch: list[Prepared] = []

    def done(result: IngestResult) -> None:
        results.append(result)
        if after_each:
            after_each(store, result)

    def flush() -> None:
        if not batch:
            return
        try:
            committed = commit_files(store, batch)
        except Exception as exc:  # noqa: BLE001 - retry alone, so that one bad file fails alone
            if len(batch) == 1:
                committed = [_failed(store, settings, batch[0].path, exc)]
            else:
                log.warning("lot de %d fichiers refusé (%s) : fichier par fichier", len(batch), exc)
                committed = []
                for prepared in batch:
                    try:
                        committed += commit_files(store, [prepared])
                    except Exception as one_exc:  # noqa: BLE001
                        committed.append(_failed(store, settings, prepared.path, one_exc))
        batch.clear()
        for result in committed:
            done(result)

    paths = pending(settings.inbox)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vigie-prepare") as worker:

        def ahead(k: int, waiting: set[str]) -> Future | None:
            # `waiting`: the files not yet committed; the same bytes again must wait for them.
            return worker.submit(prepare_file, store, paths[k], locator, frozenset(waiting)) if k < len(paths) else None

        future = ahead(0, set())
        for k, path in enumerate(paths):
            try:
                try:
                    prepared = future.result()
                except SameAsPending:  # the same bytes twice: the second is "already done" once the first is in
                    flush()
                    prepared = prepare_file(store, path, locator)
            except Exception as exc:  # noqa: BLE001 - one bad file must never stop the inbox
                future = ahead(k + 1, {p.sha for p in batch})
                flush()
                done(_failed(store, settings, path, exc))
                continue
            waiting = {p.sha for p in batch} | ({prepared.sha} if isinstance(prepared, Prepared) else set())
            future = ahead(k + 1, waiting)
            if isinstance(prepared, IngestResult):
                flush()
                done(prepared)
                continue
            batch.append(prepared)
            if len(batch) >= BATCH_FILES or sum(len(p.accepted) for p in batch) >= BATCH_ROWS:
                flush()
        flush()
    return results


def _failed(store: Store, settings: Settings, path: Path, exc: Exception) -> IngestResult:
    log.error("échec du traitement de %s : %s\n%s", path.name, exc,
              "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return _record_failure(store, settings, path, exc)


def _record_failure(store: Store, settings: Settings, path: Path, exc: Exception) -> IngestResult:
    """Keep the file (in failed/) and say why on the Sources page."""
    settings.failed.mkdir(parents=True, exist_ok=True)
    target = settings.failed / path.name
    if path.exists():
        os.replace(path, target)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # Same names and source as a file that succeeds, so the Sources page lists the failure under its feed.
    source, original = split_inbox_name(path.name)
    def write(cur):
        seq = store.next_ids("ingest_seq", 1, cur)[0]
        cur.execute(
            """insert into ingest_log (seq, file_name, original_name, file_sha256, source, started_at, finished_at,
                                       status, error)
               values ($seq, $name, $original, '', $source, $now, $now, 'error', $error)""",
            {"seq": seq, "name": path.name, "original": original, "source": source, "now": now,
             "error": f"{type(exc).__name__}: {exc}"[:2000]},
        )
        return seq

    seq = store.transact(write, "ingest")
    store.bump()
    return IngestResult(path.name, seq, None, error=str(exc))


class InboxWatcher(threading.Thread):
    """Background thread of the server that ingests whatever lands in the inbox."""

    def __init__(self, store: Store, settings: Settings, after_each=None, poll: float = POLL_SECONDS):
        super().__init__(name="vigie-inbox", daemon=True)
        self.store = store
        self.settings = settings
        self.after_each = after_each
        self.poll = poll
        self.stop_event = threading.Event()
        self.locator = Locator(store.pack)
        self.last_error: str | None = None

    def run(self) -> None:
        while not self.stop_event.is_set():
            busy = False
            try:
                busy = bool(process_inbox(self.store, self.settings, self.locator, self.after_each))
                self.last_error = None
            except Exception as exc:  # noqa: BLE001 - keep watching; the error shows on the Sources page
                self.last_error = str(exc)
                log.exception("boîte de réception : erreur")
            # After work, look again at once: files that came while a batch was written are waiting.
            self.stop_event.wait(0 if busy else self.poll)

    def stop(self, timeout: float = 30) -> None:
        self.stop_event.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)  # a batch being committed finishes first
