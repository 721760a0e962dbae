"""What grouping compares, folded a whole batch at a time, and the index keys that let it skip pairs.

The batch folding must give exactly what folding one text at a time gives (the reference, `text_keys`),
and the index keys must never skip a pair that the veto would let through: both are checked here on
the labelled pairs, the hostile corpus and seeded random texts.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vigie.ingest import match

FIXTURES = Path(__file__).parent / "fixtures"
PIECES = list("abcdeEFGHn°ºNo0123456789 h,.;:!?()[]\"|«»–—-’‘œŒæÆéèàçÉ\x1e\x1f\x00\t\n\u2028\xa0ßøﬁ①") + [
    "BV ", "n° ", " - ", "Bv", "bcp", "ds", "svp", " de ", "Le ", " EPP ", "12h30", "9h", "numero 4", "N 7",
    " Godomey", " Ouando", "Selon la police : ", " vers ", " au ",
]


def corpus_texts() -> list:
    pairs = pd.read_csv(FIXTURES / "grouping" / "labelled_pairs.csv")
    texts = pairs["text_a"].tolist() + pairs["text_b"].tolist()
    for path in sorted((FIXTURES / "hostile").glob("*")):
        if path.suffix in (".csv", ".jsonl", ".json", ".txt"):
            texts += path.read_text("utf-8", errors="replace").splitlines()
    rng = random.Random(20230108)
    texts += ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    return texts + [None, float("nan"), 12, "", "x" * 600 + " Abc", "Abc " * 200 + "Ouando 9h30"]


def reference_index(words: str, names: str) -> list[tuple[str, str | None]]:
    strict = [n for n in names.split() if (len(n) < match.STRICT_LENGTH or n[0].isdigit()) and n not in match.SMS_WORDS]
    if not strict:
        return [("u", None)]
    tokens = {w for w in words.split() if len(w) < match.STRICT_LENGTH or w[0].isdigit()}
    return sorted([("k", max(strict, key=lambda n: (len(n), n)))] + [("t", t) for t in tokens])


def as_rows(index) -> list[tuple[int, str, str | None]]:
    return sorted(index.to_pylist(), key=lambda r: (r["row"], r["kind"], r["token"] or ""))


def test_a_batch_is_folded_exactly_as_each_text_alone():
    texts = corpus_texts()
    keys = match.match_keys(texts)
    got = list(zip(keys.words.to_pylist(), keys.names.to_pylist()))
    expected = [match.text_keys(t) for t in texts]
    assert [k for k, (g, e) in enumerate(zip(got, expected)) if g != e] == []
    assert match.normalize("Selon la police : affrontemnt à Godomey, bcp de blessés") == \
        "selon police affrontemnt godomey beaucoup blesses"


def test_index_keys_from_a_batch_and_from_stored_texts_agree():
    texts = corpus_texts()
    keys = match.match_keys(texts)
    expected = [{"row": k, "kind": kind, "token": token}
                for k, (w, n) in enumerate(zip(keys.words.to_pylist(), keys.names.to_pylist()))
                for kind, token in reference_index(w, n)]
    assert as_rows(keys.index) == sorted(expected, key=lambda r: (r["row"], r["kind"], r["token"] or ""))
    assert as_rows(match.index_rows(keys.words, keys.names)) == as_rows(keys.index)


@pytest.mark.parametrize("text, key", [
    ("Bourrage d'urne au bureau de vote n° 3 de l'EPP Ouando vers 9h30", "9h30"),  # the longest strict name
    ("Incident à Cotonou vers 14h32 (n° 123456)", "123456"),
    ("Affrontements entre militants à Godomey", None),  # only a long name: no key
    ("affrontemnt a godomey bcp de blesses", None),  # names nothing
])
def test_the_key_is_the_longest_short_or_numeric_name(text, key):
    index = match.match_keys([text]).index.to_pylist()
    keys = [r["token"] for r in index if r["kind"] == "k"]
    assert keys == ([key] if key else [])
    assert [r["kind"] for r in index if r["kind"] == "u"] == ([] if key else ["u"])


def test_pairs_the_index_skips_are_always_vetoed():
    """The soundness of the first pass: two texts with keys, where neither key is among the other's
    tokens, always score 0 (vetoed) — whatever their similarity."""
    rng = random.Random(7)
    places = ["Godomey", "Togoudo", "EPP Ouando", "CEG Akpakpa", "BR", "Zogbo"]
    texts = []
    for _ in range(400):
        text = rng.choice(["Bourrage d'urne", "Affrontements", "Meeting perturbé", "bcp de blesses"])
        text += f" à {rng.choice(places)}"
        if rng.random() < 0.6:
            text += f" vers {rng.choice(['9h', '9h30', '10h', '14h32'])}"
        if rng.random() < 0.5:
            text += f" au bureau n° {rng.randint(1, 12)}"
        if rng.random() < 0.3:
            text = "Selon la police : " + text
        texts.append(text)
    keys = match.match_keys(texts)
    rows = keys.index.to_pylist()
    key_of = {r["row"]: r["token"] for r in rows if r["kind"] == "k"}
    tokens_of: dict[int, set[str]] = {}
    for r in rows:
        if r["kind"] == "t":
            tokens_of.setdefault(r["row"], set()).add(r["token"])
    skipped = [(a, b) for a in key_of for b in key_of if a < b
               and key_of[a] not in tokens_of.get(b, set()) and key_of[b] not in tokens_of.get(a, set())]
    assert len(skipped) > 10_000
    a, b = np.array(skipped).T
    scores = match.score_pairs([texts[i] for i in a], [texts[i] for i in b])
    assert (scores == 0).all()
    # The pairs it keeps include every pair that may group.
    skipped_set = set(skipped)
    kept = [(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts)) if (i, j) not in skipped_set]
    i, j = np.array(kept).T
    assert (match.score_pairs([texts[k] for k in i], [texts[k] for k in j]) > 0).any()
