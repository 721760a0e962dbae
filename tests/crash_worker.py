"""Run by tests/test_crash.py in a process of its own: open the store of a state folder and empty its inbox.

    python -m tests.crash_worker STATE_FOLDER

Prints "ouvert" once the store is open (the test counts its kill delays from there) and "fini" at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import make_settings
from vigie.ingest.inbox import process_inbox
from vigie.store import Store


def main(home: str) -> int:
    settings = make_settings(Path(home))
    store = Store.open(settings)
    print("ouvert", flush=True)
    results = process_inbox(store, settings)
    store.close()
    print("fini", *(r.summary() if not r.error else r.error for r in results), sep="\n", flush=True)
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
