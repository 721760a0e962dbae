"""What near-duplicate grouping compares: each text's words and the names it mentions, the score of two
texts, the veto, and the index keys that let grouping skip pairs the veto would refuse.

The words are accent-folded, lower-case, with common SMS shorthand written out (bcp → beaucoup) and
French stop words left out, so that rewordings, SMS spelling and channel prefixes ("Selon la police :
…") still match. The score is rapidfuzz's token_set_ratio (0–100) of the words. It is vetoed (0) when
*both* texts name something specific that the other does not mention — a proper noun (a capitalised
word that does not start a clause), a clock time (`9h30`) or a number after `n°`/`BV`: "bureau de vote
de l'EPP Ouando" and "… de l'EPP Djassin" are different events however alike the rest. Lower-case SMS
text names nothing, so it is never vetoed.

`normalize` and `_names` fold one text; `match_keys` folds a whole batch at once (one string for the
batch, then Arrow arrays of its words) and gives exactly the same result, about ten times faster than a
loop over the texts. The tests hold the two to each other.

Index keys. A name of fewer than five letters, or one that starts with a digit, is mentioned only when
the other text has it as a word (longer names may be misspelt and are compared loosely). Call those a
text's *strict names*. So two texts that both name something are vetoed unless the strict names of
one are all among the words of the other; in particular, one text's *key* (its longest strict name)
must be among the other's *tokens* (its words of fewer than five letters or starting with a digit).
`index_rows` gives each text's key and tokens; grouping looks pairs up through them instead of
comparing every report with every other report of its commune, category and time window, which at
national scale (a million reports in three weeks, every one naming a time and a number) is almost a
billion pairs, all vetoed. A text without a strict name, or naming nothing, has no key: it is compared
with every candidate, as before.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

TEXT_LIMIT = 500  # characters of a description compared (a 10 MB description must not cost more)
STRICT_LENGTH = 5  # names shorter than this (or starting with a digit) must be matched exactly

# Function words that make unrelated French sentences look alike ("de la … à … des").
STOPWORDS = frozenset((
    "a", "au", "aux", "ce", "ces", "cet", "cette", "d", "dans", "de", "des", "du", "elle", "en", "est",
    "et", "il", "ils", "l", "la", "le", "les", "ne", "par", "pas", "plus", "pour", "qu", "que", "qui",
    "sa", "se", "ses", "son", "sur", "un", "une", "y",
))
# Common SMS shorthand, written out so that "bcp de blesses" meets "beaucoup de blessés".
SMS_WORDS = {
    "bcp": "beaucoup", "ds": "dans", "pr": "pour", "ac": "avec", "avc": "avec", "ki": "qui", "ke": "que",
    "koi": "quoi", "tt": "tout", "ts": "tous", "qd": "quand", "pb": "probleme", "pbm": "probleme",
    "bv": "bureau vote", "mm": "meme", "jr": "jour", "auj": "aujourd hui", "ajd": "aujourd hui",
    "manif": "manifestation", "tjs": "toujours", "tjrs": "toujours", "ns": "nous", "vs": "vous",
    "dc": "donc", "ms": "mais", "pdt": "pendant", "qq": "quelques", "qlq": "quelques", "pk": "pourquoi",
    "svp": "", "stp": "",
}
_SMS_KEYS = frozenset(SMS_WORDS)
NUMBER_WORDS = ("n", "no", "num", "numero", "bv")  # a number right after one of these is a name

# -- one text (the reference) --------------------------------------------------------------------------
# Folding goes through NFKD → ASCII and bytes.translate, all in C: about 5 µs a text.

# Characters that NFKD→ASCII would drop although they separate words; «, », dashes also end a clause.
_BEFORE_ASCII = (("’", " "), ("‘", " "), ("°", " "), ("«", " | "), ("»", " | "),
                 ("–", " | "), ("—", " | "), ("œ", "oe"), ("Œ", "Oe"), ("æ", "ae"), ("Æ", "Ae"))
_CLAUSE_END = b'.:;!?()[]"|'
# ASCII letters and digits kept (lower-cased, or as they are), clause ends → "|", anything else → space.
_LOWER = bytes(c | 0x20 if chr(c).isalpha() and c < 128 else c if chr(c).isdigit() and c < 128 else 32
               for c in range(256))
_CASED = bytes(c if chr(c).isalnum() and c < 128 else 124 if c in _CLAUSE_END else 32 for c in range(256))


def _ascii(text: str | None) -> bytes:
    """The text folded to ASCII (accents dropped), case kept; the first TEXT_LIMIT characters."""
    text = (text or "")[:TEXT_LIMIT]
    if text.isascii():
        return text.encode("ascii")
    for char, replacement in _BEFORE_ASCII:
        text = text.replace(char, replacement)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore")


def _normalize_ascii(folded: bytes) -> str:
    words = folded.translate(_LOWER).decode("ascii").split()
    if not _SMS_KEYS.isdisjoint(words):
        words = [SMS_WORDS.get(w, w) for w in words]
    return " ".join([w for w in words if w and w not in STOPWORDS])


def normalize(text: str | None) -> str:
    """The words compared: accent-folded, lower-case, SMS shorthand written out, without stop words.

    >>> normalize("Selon la police : affrontemnt à Godomey, bcp de blessés")
    'selon police affrontemnt godomey beaucoup blesses'
    """
    return _normalize_ascii(_ascii(text))


# On the folded text, words separated by single spaces and clause ends written " | ": a capitalised
# word right after another word is a name; one that starts the text or a clause is grammar.
_NAME = re.compile(r"(?<=[A-Za-z0-9] )[A-Z][A-Za-z0-9]*")
_CLOCK = re.compile(r"(?<![a-z0-9])\d{1,2}h(?:\d\d)?(?![a-z0-9])")
_NUMBERED = re.compile(r"(?<![a-z0-9])(?:n|no|num|numero|bv) (\d+)(?![a-z0-9])")


def _names(folded: bytes) -> str:
    """What a text (folded by `_ascii`) names, sorted and space-separated: "Selon la police : Un …"
    names nothing ("")."""
    cased = " ".join(folded.replace(b" - ", b" | ").translate(_CASED).replace(b"|", b" | ").decode("ascii").split())
    lower = cased.lower()
    names = {name.lower() for name in _NAME.findall(cased)} - STOPWORDS
    names.update(_CLOCK.findall(lower))
    names.update(_NUMBERED.findall(lower))
    return " ".join(sorted(names))


def text_keys(text: str | None) -> tuple[str, str]:
    """(words, names) of one text, as `match_keys` gives them for a batch."""
    folded = _ascii(_as_text(text))
    return _normalize_ascii(folded), _names(folded)


def _as_text(value) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None or pd.isna(value) else str(value)


# -- a whole batch at once ------------------------------------------------------------------------------
# The texts are joined into one string with a separator (0x1E) that both translations keep, folded
# once, then cut into words by Arrow: a million texts never become a million Python lists.

_SEP = "\x1e"
_CASED_SEP = _CASED[:0x1E] + b"\x1e" + _CASED[0x1F:]
_A_SMS_KEYS = pa.array(sorted(SMS_WORDS))
_A_SMS_VALUES = pa.array([SMS_WORDS[k] for k in sorted(SMS_WORDS)])
_A_DROPPED = pa.array(sorted(STOPWORDS | {""}))
_A_STOPWORDS = pa.array(sorted(STOPWORDS))
_A_NUMBER_WORDS = pa.array(NUMBER_WORDS)


class Keys(NamedTuple):
    """What grouping compares of each text of a batch, aligned with it."""

    words: pa.Array  # match_text
    names: pa.Array  # match_names: sorted, space-separated ("" when the text names nothing)
    index: pa.Table  # index_rows of the batch


def match_keys(texts) -> Keys:
    """The words, names and index keys of every text of a batch (a list, a pandas Series or an Arrow
    array)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if isinstance(texts, pa.Array):
        texts = texts.to_pylist()
    elif isinstance(texts, pd.Series):
        texts = texts.tolist()
    n = len(texts)
    if not n:
        return Keys(pa.array([], pa.string()), pa.array([], pa.string()), _index(*_no_tokens(), *_no_tokens(), 0))
    # One cut into tokens serves both: the words (lower-cased tokens other than the clause ends, which is
    # what `_LOWER` gives) and the names (which need the case and the clause ends).
    cased, rows = _tokens(_fold_batch(texts).replace(b" - ", b" | ").translate(_CASED_SEP).replace(b"|", b" | "))
    lower = pc.ascii_lower(cased)
    name_values, name_rows = _batch_names(cased, lower, rows)
    word = pc.not_equal(cased, "|")
    tokens, rows = pc.filter(lower, word), rows[np.asarray(word)]
    tokens = pc.coalesce(pc.take(_A_SMS_VALUES, pc.index_in(tokens, value_set=_A_SMS_KEYS)), tokens)
    keep = pc.invert(pc.is_in(tokens, value_set=_A_DROPPED))
    tokens, rows = pc.filter(tokens, keep), rows[np.asarray(keep)]
    # An SMS expansion ("bureau vote") is one word of the text but two words to compare.
    word_tokens, word_rows = _split_rows(tokens, rows)
    return Keys(_join_rows(tokens, rows, n), _join_rows(name_values, name_rows, n),
                _index(word_tokens, word_rows, name_values, name_rows, n))


def _no_tokens() -> tuple[pa.Array, np.ndarray]:
    return pa.array([], pa.string()), np.zeros(0, dtype=np.int64)


def _fold_batch(texts: list) -> bytes:
    parts = [_as_text(t)[:TEXT_LIMIT] for t in texts]
    big = _SEP.join(parts)
    if big.count(_SEP) != len(parts) - 1:  # a text holds the separator: it is a space to both tables
        big = _SEP.join(p.replace(_SEP, "\x1f") for p in parts)
    if big.isascii():
        return big.encode("ascii")
    for char, replacement in _BEFORE_ASCII:
        big = big.replace(char, replacement)
    return unicodedata.normalize("NFKD", big).encode("ascii", "ignore")


def _tokens(translated: bytes) -> tuple[pa.Array, np.ndarray]:
    """The words of a translated batch (texts separated by 0x1E, words by spaces) and the text of each."""
    data = translated.replace(b"\x1e", b" \x1e ")
    offsets = pa.array([0, len(data)], pa.int32()).buffers()[1]
    tokens = pc.list_flatten(pc.split_pattern(pa.StringArray.from_buffers(1, offsets, pa.py_buffer(data)), " "))
    tokens = pc.filter(tokens, pc.not_equal(tokens, ""))
    marks = np.asarray(pc.equal(tokens, _SEP))
    rows = np.cumsum(marks, dtype=np.int64)
    return pc.filter(tokens, pa.array(~marks)), rows[~marks]


def _split_rows(values: pa.Array, rows: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Space-separated values cut into words, each with its row."""
    lists = pc.split_pattern(values, " ")
    return pc.list_flatten(lists), rows[np.asarray(pc.list_parent_indices(lists), dtype=np.int64)]


def _join_rows(values: pa.Array, rows: np.ndarray, n: int) -> pa.Array:
    """Space-joined values per row (rows ascending), "" for a row with none."""
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=n), out=offsets[1:])
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), " ")


def _first_char_in(values: pa.Array, chars: str) -> np.ndarray:
    return np.asarray(pc.is_in(pc.utf8_slice_codeunits(values, 0, 1), value_set=pa.array(list(chars))))


def _distinct_sorted(values: pa.Array, rows: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """The distinct (row, value) pairs, by row then value (a value's code point order, as sorted())."""
    if not len(values):
        return values, rows
    encoded = pc.dictionary_encode(values)
    dictionary = encoded.dictionary
    order = np.asarray(pc.sort_indices(dictionary))
    rank = np.empty(len(dictionary), dtype=np.int64)
    rank[order] = np.arange(len(dictionary))
    combined = np.sort(rows * len(dictionary) + rank[np.asarray(encoded.indices)])
    combined = combined[np.r_[True, combined[1:] != combined[:-1]]]
    return pc.take(dictionary, pa.array(order[combined % len(dictionary)])), combined // len(dictionary)


def _batch_names(tokens: pa.Array, lower: pa.Array, rows: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """`_names` of every text, as (name, row) sorted by row then name, from the batch's tokens (words or
    "|", a clause end) with their case and lower-cased: a name is a capitalised word right after a word,
    a clock time, or a number right after n°/no/BV."""
    m = len(tokens)
    same_text = np.zeros(m, dtype=bool)
    same_text[1:] = rows[1:] == rows[:-1]
    after_word = np.zeros(m, dtype=bool)
    after_word[1:] = same_text[1:] & np.asarray(pc.not_equal(tokens, "|"))[:-1]
    after_number_word = np.zeros(m, dtype=bool)
    after_number_word[1:] = same_text[1:] & np.asarray(pc.is_in(lower, value_set=_A_NUMBER_WORDS))[:-1]
    capital = _first_char_in(tokens, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") & after_word
    proper = capital & ~np.asarray(pc.is_in(lower, value_set=_A_STOPWORDS))
    digit = np.flatnonzero(_first_char_in(lower, "0123456789"))  # clock times and numbers start with one
    clock = np.zeros(m, dtype=bool)
    numbered = np.zeros(m, dtype=bool)
    if len(digit):
        candidates = pc.take(lower, pa.array(digit))
        clock[digit] = np.asarray(pc.match_substring_regex(candidates, r"^\d{1,2}h(\d\d)?$"))
        numbered[digit] = after_number_word[digit] & np.asarray(pc.match_substring_regex(candidates, r"^\d+$"))
    chosen = np.flatnonzero(proper | clock | numbered)
    return _distinct_sorted(pc.take(lower, pa.array(chosen)), rows[chosen])


def index_rows(words: pa.Array, names: pa.Array) -> pa.Table:
    """The index keys of each text from its stored words and names (see `_index`)."""
    n = len(words)
    word_tokens, word_rows = _split_rows(pc.fill_null(words, ""), np.arange(n, dtype=np.int64))
    name_values, name_rows = _split_rows(pc.fill_null(names, ""), np.arange(n, dtype=np.int64))
    return _index(word_tokens, word_rows, name_values, name_rows, n)


def _index(word_tokens: pa.Array, word_rows: np.ndarray, name_values: pa.Array, name_rows: np.ndarray,
           n: int) -> pa.Table:
    """The index keys of each text: (row, kind, token), kind 'k' for its key (its longest strict name, the
    greatest of equals), 't' for each of its distinct tokens, or one row 'u' (token null) when it has no
    key and must be compared with every candidate. In no particular order."""
    length = np.asarray(pc.utf8_length(name_values)) if len(name_values) else np.zeros(0, np.int64)
    strict = ((length > 0) & ((length < STRICT_LENGTH) | _first_char_in(name_values, "0123456789"))
              & ~np.asarray(pc.is_in(name_values, value_set=_A_SMS_KEYS)))
    key_values, key_rows = pc.filter(name_values, pa.array(strict)), name_rows[strict]
    if len(key_values):  # the longest per row, then the greatest: sort by (row, length, value) and keep the last
        order = np.lexsort((np.argsort(np.asarray(pc.sort_indices(key_values)), kind="stable"),
                            length[strict], key_rows))
        key_rows, key_values = key_rows[order], pc.take(key_values, pa.array(order))
        last = np.flatnonzero(np.r_[key_rows[1:] != key_rows[:-1], True])
        key_rows, key_values = key_rows[last], pc.take(key_values, pa.array(last))
    keyed = np.zeros(n, dtype=bool)
    keyed[key_rows] = True

    word_length = np.asarray(pc.utf8_length(word_tokens)) if len(word_tokens) else np.zeros(0, np.int64)
    short = ((word_length > 0) & ((word_length < STRICT_LENGTH) | _first_char_in(word_tokens, "0123456789"))
             & keyed[word_rows])
    token_values, token_rows = _distinct_sorted(pc.filter(word_tokens, pa.array(short)), word_rows[short])
    unkeyed = np.flatnonzero(~keyed)
    return pa.table({
        "row": np.concatenate([key_rows, token_rows, unkeyed]).astype(np.int64),
        "kind": pa.concat_arrays([pa.repeat(pa.scalar(kind), count) for kind, count in
                                  (("k", len(key_rows)), ("t", len(token_rows)), ("u", len(unkeyed)))]),
        "token": pa.concat_arrays([key_values.cast(pa.string()), token_values.cast(pa.string()),
                                   pa.nulls(len(unkeyed), pa.string())]),
    })


# -- the score of two texts -----------------------------------------------------------------------------

class Mentions(NamedTuple):
    names: frozenset[str]  # proper nouns, clock times and station numbers the text names
    words: frozenset[str]  # the compared words (`normalize`), to look names up in


def mentions(words: str, names) -> Mentions:
    return Mentions(frozenset(names.split() if isinstance(names, str) else ()), frozenset(words.split()))


def _names_unmentioned(a: Mentions, b: Mentions) -> bool:
    """Does `a` name something `b` does not mention? Names of STRICT_LENGTH letters or more may be misspelt."""
    for name in a.names - b.words:
        # The compared words have SMS shorthand written out: "Bv" is looked up as written out.
        written = SMS_WORDS.get(name)
        if written is not None and (not written or set(written.split()) <= b.words):
            continue
        if len(name) < STRICT_LENGTH or name[0].isdigit():
            return True
        long_words = [w for w in b.words if len(w) >= STRICT_LENGTH]
        if process.extractOne(name, long_words, scorer=fuzz.ratio, score_cutoff=85) is None:
            return True
    return False


def conflict(a: Mentions, b: Mentions) -> bool:
    """Each text names something the other does not: two different places, stations, times or actors."""
    return bool(a.names and b.names) and _names_unmentioned(a, b) and _names_unmentioned(b, a)


def similarity(words_a, words_b, threshold: float) -> np.ndarray:
    """token_set_ratio of aligned pairs of compared words; pairs under the threshold score 0."""
    if len(words_a) == 0:
        return np.zeros(0, dtype=np.float32)
    return process.cpdist(words_a, words_b, scorer=fuzz.token_set_ratio, score_cutoff=threshold or None,
                          workers=-1).astype(np.float32)


def vetoes(a_at: np.ndarray, b_at: np.ndarray, words: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Whether each pair (a_at[i], b_at[i]) of positions into `words`/`names` is vetoed."""
    named = np.array([isinstance(n, str) and n != "" for n in names], dtype=bool)
    seen: dict[int, Mentions] = {}

    def of(k: int) -> Mentions:
        found = seen.get(k)
        if found is None:
            found = seen[k] = mentions(words[k], names[k])
        return found

    out = np.zeros(len(a_at), dtype=bool)
    for i in np.flatnonzero(named[a_at] & named[b_at]):
        out[i] = conflict(of(int(a_at[i])), of(int(b_at[i])))
    return out


def score_pairs(texts_a: list[str | None], texts_b: list[str | None]) -> np.ndarray:
    """The grouping score (0–100) of each pair (texts_a[i], texts_b[i]), as at ingest: the similarity
    of the compared words, or 0 when the pair is vetoed."""
    a, b = match_keys(texts_a), match_keys(texts_b)
    words = np.array(a.words.to_pylist() + b.words.to_pylist(), dtype=object)
    names = np.array(a.names.to_pylist() + b.names.to_pylist(), dtype=object)
    n = len(texts_a)
    scores = similarity(words[:n], words[n:], 0)
    scores[vetoes(np.arange(n), np.arange(n) + n, words, names)] = 0
    return scores
