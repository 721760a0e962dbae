"""What every feed adapter produces: canonical records as text, plus rejected records with reasons.

Adapters only read their format and map field names; typing, validation and locating are done
once for all feeds in `vigie.ingest.normalize`.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from vigie.text import match_key

# The csv module refuses fields over 128 KiB; a 10 MB description is a record to keep (truncated later).
csv.field_size_limit(max(csv.field_size_limit(), 64 * 2**20))

# Canonical fields of a report, as text, before validation.
FIELDS = (
    "source",
    "source_ref",
    "occurred_at",
    "reported_at",
    "lat",
    "lon",
    "commune",
    "place",
    "category",
    "severity",
    "description",
    "language",
    "reporter_name",
    "reporter_phone",
    "reporter_contact",
)


@dataclass
class Rejection:
    line_no: int | None
    field: str | None
    reason: str
    record: str | None


@dataclass
class Parsed:
    """An adapter's output for one file."""

    format: str
    records: pd.DataFrame  # columns: FIELDS (str or None) + line_no (int)
    raw: pd.DataFrame | pd.Series  # original record per row: a frame of original columns, or JSON strings
    received: int  # records received in the file, accepted or not
    rejections: list[Rejection] = field(default_factory=list)


class FeedError(Exception):
    """A whole file cannot be read (wrong format, binary, undecodable)."""

    def __init__(self, reason: str, field: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.field = field


def header_key(name: str) -> str:
    # No alias is long: a 1 MB column name must not cost seconds of accent folding.
    return match_key(name[:200]).replace(" ", "_")


def decode(data: bytes) -> str:
    """UTF-16 (Excel's « Texte Unicode »), UTF-8 with or without BOM, else cp1252, else latin-1.

    A file pasted together from a UTF-8 export and a cp1252 one is decoded line by line, so that neither
    part turns into mojibake. Binary files are refused; a stray NUL byte in a text file is not binary.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_utf16(data, "utf-16")
    sample = data[:8192]
    if sample.count(0) * 1000 > len(sample):
        # ASCII text in UTF-16 without a BOM: every other byte is NUL.
        if sample[1::2].count(0) > 0.7 * len(sample) // 2 and not sample[0::2].count(0):
            return _decode_utf16(data, "utf-16-le")
        if sample[0::2].count(0) > 0.7 * len(sample) // 2 and not sample[1::2].count(0):
            return _decode_utf16(data, "utf-16-be")
        raise FeedError("fichier binaire : ce n'est pas un fichier texte (CSV ou JSON)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # A UTF-8 BOM says UTF-8 even when some line is not: it is never the start of the first column's name.
    data = data.removeprefix(codecs.BOM_UTF8)
    if not _UTF8_SEQUENCE.search(data):
        return _decode_single_byte(data)
    return "".join(_decode_line(line) for line in data.splitlines(keepends=True))


_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def _decode_utf16(data: bytes, encoding: str) -> str:
    try:
        return data[: len(data) - len(data) % 2].decode(encoding)  # a file cut after an odd byte loses that byte
    except UnicodeDecodeError as exc:
        raise FeedError(f"texte UTF-16 illisible à l'octet {exc.start} (fichier tronqué ou mal converti ?)") from exc


def _decode_single_byte(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return data.decode("latin-1")


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _decode_single_byte(line)


def sniff_delimiter(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def read_csv_text(text: str) -> tuple[list[str], list[list[str]], list[int], list[Rejection]]:
    """Header, rows of the right width with their line numbers, and rejected rows."""
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return [], [], [], []
    except csv.Error as exc:
        raise FeedError(f"en-tête CSV illisible : {csv_reason(exc)}") from exc
    header = _unique_names([h.strip() for h in header])
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    rejections: list[Rejection] = []
    last = None  # line where the file's last record starts
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rejections.append(Rejection(start, None, f"ligne CSV illisible : {csv_reason(exc)}", None))
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line: not a record
        last = start
        if len(row) != width:
            rejections.append(
                Rejection(start, None, f"{len(row)} champs au lieu de {width} (séparateur ou guillemets ?)",
                          _join(row))
            )
            continue
        rows.append(row)
        lines.append(start)
    # A quote never closed swallows the rest of the file into the last field of the last record: the
    # lenient reader hands it over as if it were whole, so check that one record strictly.
    if rows and lines[-1] == last and re.search(r"[\r\n]", rows[-1][-1]) and _ends_inside_quotes(text, delimiter):
        rejections.append(Rejection(lines.pop(), None, "guillemet ouvert jamais fermé : cette ligne et toutes "
                                    "les suivantes, jusqu'à la fin du fichier, forment un seul champ", _join(rows.pop())))
    return header, rows, lines, rejections


def read_csv_plain(text: str) -> tuple[list[str], dict[str, pa.StringArray], list[int]] | None:
    """The same as `read_csv_text` for a plain file — no quote, no blank line, one line per record, every
    line as wide as the header — read by Arrow's CSV reader (multi-threaded, in C++): header, columns by
    name and line numbers. None for any other file, which `read_csv_text` reads, line by line, with the
    reasons for what it refuses."""
    text = text.lstrip("\ufeff")
    if ('"' in text or "\x00" in text or text.count("\r") != text.count("\r\n")
            or "\n\n" in text.replace("\r\n", "\n").rstrip("\n")):
        return None
    first_line, _, body = text.replace("\r\n", "\n").partition("\n")
    delimiter = sniff_delimiter(first_line)
    header = _unique_names([h.strip() for h in first_line.split(delimiter)])
    if len(header) < 2 or not body.strip("\n") or body.startswith("\n"):
        return None
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=[f"c{i}" for i in range(len(header))]),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={f"c{i}": pa.string() for i in range(len(header))},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # a line of another width: the careful reader says which
    columns = {name: table.column(i).combine_chunks() for i, name in enumerate(header)}
    return header, columns, list(range(2, table.num_rows + 2))


def _ends_inside_quotes(text: str, delimiter: str) -> bool:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    while True:
        try:
            next(reader)
        except StopIteration:
            return False
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                return True


def csv_reason(exc: csv.Error) -> str:
    """The csv module's error, in French."""
    message = str(exc)
    if message.startswith("field larger than field limit"):
        return f"champ de plus de {csv.field_size_limit() // 2**20} Mo"
    return message


JSON_MESSAGES = {
    "Expecting value": "valeur attendue",
    "Expecting property name enclosed in double quotes": "nom de champ entre guillemets attendu",
    "Expecting ',' delimiter": "virgule attendue",
    "Expecting ':' delimiter": "deux-points attendu",
    "Unterminated string starting at": "texte entre guillemets jamais fermé",
    "Invalid control character at": "caractère de contrôle interdit",
    "Invalid \\escape": "échappement \\ invalide",
    "Invalid \\uXXXX escape": "échappement \\uXXXX invalide",
    "Extra data": "données en trop après la fin",
}


def json_reason(exc: json.JSONDecodeError) -> str:
    """The json module's error, in French (the position is given by the caller)."""
    return JSON_MESSAGES.get(exc.msg, exc.msg)


def _join(row: list[str]) -> str:
    return ";".join(row)[:10_000]


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        name = name or f"colonne_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def map_columns(columns: list[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Canonical field -> original column, for the first column whose key is one of the field's aliases."""
    keys = {header_key(c): c for c in reversed(columns)}
    mapping: dict[str, str] = {}
    for canonical, names in aliases.items():
        for alias in names:
            if header_key(alias) in keys:
                mapping[canonical] = keys[header_key(alias)]
                break
    return mapping


def frame_from_columns(columns: dict[str, list | pa.Array], n: int, line_no: list[int]) -> pd.DataFrame:
    """A records frame with every canonical field (missing ones are None); Arrow columns stay Arrow."""
    data = {f: _column(columns.get(f), n) for f in FIELDS}
    frame = pd.DataFrame(data)
    frame["line_no"] = pd.Series(line_no, dtype="int64")
    return frame


def _column(values: list | pa.Array | None, n: int) -> pd.Series:
    if values is None:
        return pd.Series([None] * n, dtype=object)
    if isinstance(values, pa.Array):
        return pd.Series(pd.arrays.ArrowStringArray(values))
    return pd.Series(values, dtype=object)
