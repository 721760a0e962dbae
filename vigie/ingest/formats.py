"""Which adapter reads a file: chosen from its name and first bytes."""

from __future__ import annotations

from vigie.ingest import native
from vigie.ingest.records import FeedError, Parsed

# format name -> default source channel when the file does not say
DEFAULT_SOURCES = {"native-csv": "fichier", "native-jsonl": "fichier"}


def parse(data: bytes, name: str) -> Parsed:
    if not data.strip():
        return native.parse_csv("")
    try:
        return native.parse(data, name)
    except FeedError:
        raise
    except (ValueError, UnicodeError) as exc:  # a parser's own error: name the file's problem, not ours
        raise FeedError(f"fichier illisible : {exc}") from exc


def default_source(format_name: str) -> str:
    return DEFAULT_SOURCES.get(format_name, "fichier")
