"""The module boundaries the multi-process design relies on, checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded_after(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return set(out.split())


@pytest.mark.parametrize("module, forbidden", [
    ("vigie.store", "vigie.ingest"),      # the store knows nothing of ingest
    ("vigie.server", "streamlit"),       # the server's start runs without Streamlit (ingestd, tests)
])
def test_module_does_not_load(module, forbidden):
    loaded = loaded_after(module)
    assert module in loaded
    assert not {m for m in loaded if m == forbidden or m.startswith(forbidden + ".")}
