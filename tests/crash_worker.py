"""Run by tests/test_crash.py in a process of its own: open the store of a state folder and empty its inbox.

    python -m tests.crash_worker STATE_FOLDER [written|committed]

Prints "ouvert" once the store is open (the test counts its kill delays from there) and "fini" at the end.
With `written`, it stops for a while once a file's rows are written inside the transaction, before the
commit; with `committed`, once they are committed, before the file is moved out of the inbox. It says
"pause" then, so that the test can kill it exactly there.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.conftest import make_settings
from vigie.ingest import pipeline
from vigie.ingest.inbox import process_inbox
from vigie.store import Store

PAUSE_SECONDS = 30


def pause_after(func):
    def wrapper(*args, **kwargs):
        result = func(*args, **kwargs)
        print("pause", flush=True)
        time.sleep(PAUSE_SECONDS)
        return result
    return wrapper


def pause_before(func):
    def wrapper(*args, **kwargs):
        print("pause", flush=True)
        time.sleep(PAUSE_SECONDS)
        return func(*args, **kwargs)
    return wrapper


def main(home: str, pause: str | None = None) -> int:
    if pause == "written":
        pipeline._insert_reports = pause_after(pipeline._insert_reports)
    elif pause == "committed":
        pipeline._move = pause_before(pipeline._move)
    settings = make_settings(Path(home))
    store = Store.open(settings)
    print("ouvert", flush=True)
    results = process_inbox(store, settings)
    store.close()
    print("fini", *(r.summary() if not r.error else r.error for r in results), sep="\n", flush=True)
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
