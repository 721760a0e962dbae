"""The hostile corpus (tests/fixtures/hostile/make_corpus.py) through the real inbox into a real DuckDB file.

For every file: no exception escapes, the file leaves the inbox, its counts add up to the records put
in it, and every quarantined record has a French reason and, where there are lines, its line. Then the
app keeps running: every page runs on the state the whole corpus left behind, and the Sources page lists
the quarantine with file, line and reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import FIXTURES, make_settings, COUNT_SINCE_SQL, count_rows
from tests.fixtures.hostile import make_corpus
from tests.fixtures.hostile.make_corpus import CASES, Case
from vigie.auth import User
from vigie.ingest.inbox import drop_bytes, pending, process_inbox
from vigie.store import Store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
HOSTILE = Path(make_corpus.__file__).parent
# A reason says what is wrong in French, parsers' details included (values quoted « … » aside).
FRENCH_WORDS = set("""de la le les du des au aux à un une ou ni est ce sans dans en trop jamais illisible ligne colonne
    fichier champ champs date inconnu inconnue manquant manquante invalide attendu attendus attendue lieu non texte vide
    aucune doit être antérieure futur binaire guillemets imbriqué profondément fermé virgule valeur enregistrement
    objet latitude longitude sms parti heure commune lien portée verdict statut""".split())
ENGLISH_WORDS = set("""the of is at with expecting field line data value string starting unterminated delimiter larger
    than limit error invalid not expected contains character enclosed property name extra escape""".split())


def is_french(reason: str) -> bool:
    words = re.findall(r"[a-zàâçéèêëîïôûùüÿœ]+", re.sub(r"«[^»]*»", "", reason).lower())
    return sum(w in FRENCH_WORDS for w in words) >= 2 and not any(w in ENGLISH_WORDS for w in words)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The whole corpus dropped into one inbox and processed in one pass, as the server would."""
    folder = tmp_path_factory.mktemp("hostile")
    settings = make_settings(folder / "state")
    store = Store.open(settings)
    files = make_corpus.build(folder / "corpus")
    dropped = {}
    for case, path in files:
        dropped[case.name] = drop_bytes(settings.inbox, path.read_bytes(), case.name, source=case.source)
    results = process_inbox(store, settings)
    logs = store.raw_cursor().execute("select * from ingest_log").df()
    yield {"store": store, "settings": settings, "results": results, "dropped": dropped,
           "logs": {row["original_name"]: row for row in logs.to_dict("records")}, "files": {case.name: path for case, path in files}}
    store.close()


def test_no_exception_escapes_and_the_inbox_is_empty(corpus):
    results, settings = corpus["results"], corpus["settings"]
    assert len(results) == len(CASES)
    assert [(r.file_name, r.error) for r in results if r.error] == []
    assert pending(settings.inbox) == []
    assert list(settings.failed.iterdir()) == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_record_is_accounted_for(corpus, case: Case):
    store, settings = corpus["store"], corpus["settings"]
    log = corpus["logs"][case.name]
    assert log["status"] == "done" and pd.isna(log["error"]), log["error"]
    counts = {k: int(log[f"n_{k}"]) for k in ("received", "accepted", "duplicate", "quarantined")}
    assert counts["received"] == case.records, counts
    assert counts["received"] == counts["accepted"] + counts["duplicate"] + counts["quarantined"]
    for key, value in case.expect.items():
        assert counts[key] == value, (key, counts)
    # The file left the inbox for processed/, once.
    assert (settings.processed / corpus["dropped"][case.name].name).exists()

    cur = store.raw_cursor()
    seq = {"seq": int(log["seq"])}
    # `case.table` is one of the corpus's literals (reports, rallies, claims), never input.
    stored = cur.execute(COUNT_SINCE_SQL[case.table], seq).fetchone()[0]
    assert stored == counts["accepted"]
    quarantine = cur.execute("select line_no, field, reason, record, file_name from quarantine where ingest_seq = $seq",
                             seq).df()
    assert len(quarantine) == counts["quarantined"]
    assert set(quarantine["file_name"]) <= {case.name}
    n_lines = corpus["files"][case.name].read_bytes().count(b"\n") + 1
    for row in quarantine.to_dict("records"):
        assert is_french(row["reason"]), row["reason"]
        if case.lines:
            assert pd.notna(row["line_no"]) and 1 <= row["line_no"] <= max(n_lines, case.records + 1), row
        else:
            assert pd.isna(row["line_no"]), row


def test_reingesting_the_corpus_changes_nothing(corpus):
    store, settings = corpus["store"], corpus["settings"]
    cur = store.raw_cursor()
    tables = ("reports", "quarantine", "rallies", "claims")
    before = [count_rows(store, t) for t in tables]
    for case, path in list(corpus["files"].items())[:12]:
        drop_bytes(settings.inbox, path.read_bytes(), case, source="rejeu")
    results = process_inbox(store, settings)
    assert all(r.already_done for r in results)
    assert [count_rows(store, t) for t in tables] == before


def test_the_small_files_here_are_the_generated_ones():
    """The small files kept beside make_corpus.py (to read them) are exactly what it generates."""
    for case in CASES:
        if not case.big:
            assert (HOSTILE / case.name).read_bytes() == case.make(), f"{case.name}: run make_corpus.py"
    assert (HOSTILE / "README.md").read_text(encoding="utf-8") == make_corpus.readme()


# -- what the hostile values became ----------------------------------------------------------------------

def reports_of(corpus, name: str) -> dict[str, dict]:
    seq = int(corpus["logs"][name]["seq"])
    frame = corpus["store"].raw_cursor().execute(
        "select * from reports where ingest_seq = $seq order by report_id", {"seq": seq}).df()
    frame = frame.astype(object).where(frame.notna(), None)
    return {row["source_ref"]: row for row in frame.to_dict("records")}


def quarantine_of(corpus, name: str) -> pd.DataFrame:
    seq = int(corpus["logs"][name]["seq"])
    return corpus["store"].raw_cursor().execute(
        "select line_no, field, reason, record from quarantine where ingest_seq = $seq order by line_no",
        {"seq": seq}).df()


@pytest.mark.parametrize("name", ["windows_cp1252.csv", "excel_texte_unicode.txt", "utf16_be.csv",
                                  "utf16_no_bom.csv", "utf16_odd_length.csv"])
def test_encodings_are_decoded(corpus, name):
    got = reports_of(corpus, name)
    first = next(iter(got.values()))
    assert first["commune_code"] == "1009"  # Sèmè-Kpodji, read with its accents
    text = " ".join(r["description"] for r in got.values())
    assert "Ã" not in text and "\ufffd" not in text
    if name == "windows_cp1252.csv":
        assert got["ENC-1"]["description"] == "Échauffourée à Ékpè"
        assert got["ENC-2"]["commune_code"] is not None
    else:
        assert got["U-1"]["description"] == "Texte Unicode d'Excel : « guillemets » et ü"


def test_mixed_encodings_are_decoded_line_by_line(corpus):
    got = reports_of(corpus, "mixed_encodings.csv")
    assert [got[k]["description"] for k in ("M-1", "M-2", "M-3", "M-4")] == ["été", "ça", "à côté", "élève"]
    assert got["M-1"]["commune_code"] == got["M-3"]["commune_code"] == "1009"
    assert got["M-2"]["commune_code"] == got["M-4"]["commune_code"] is not None


def test_latin1_bytes(corpus):
    got = reports_of(corpus, "latin1.csv")
    assert got["L-1"]["description"].startswith("prix ¤ ÿ")


def test_mixed_separators_name_the_line_and_the_cause(corpus):
    quarantine = quarantine_of(corpus, "mixed_separators.csv")
    assert quarantine["line_no"].tolist() == [3, 4, 6, 7]
    assert all("champs au lieu de 4" in r for r in quarantine["reason"])


def test_coordinates(corpus):
    got = reports_of(corpus, "coordinates.csv")
    assert (got["C-1"]["commune_code"], got["C-1"]["lat"], got["C-1"]["geo_precision"]) == ("0801", 6.3703, "point")
    assert "coord_swapped" in got["C-1"]["flags"]
    assert got["C-2"]["geo_precision"] == "none" and "coord_invalid" in got["C-2"]["flags"]
    assert got["C-3"]["commune_code"] is not None and "coord_zero" in got["C-3"]["flags"]
    assert got["C-4"]["geo_precision"] == "none" and "coord_zero" in got["C-4"]["flags"]
    assert got["C-5"]["geo_precision"] == "none" and "outside_country" in got["C-5"]["flags"]
    quarantine = quarantine_of(corpus, "coordinates.csv")
    assert quarantine[["line_no", "field"]].values.tolist() == [[7, "lat"], [9, "lat"]]


def test_decimal_commas(corpus):
    got = reports_of(corpus, "decimal_commas.csv")
    assert [got[k]["commune_code"] for k in ("D-1", "D-2", "D-3")] == ["0801", "0405", "1008"]


def test_communes_as_written(corpus):
    got = reports_of(corpus, "communes.csv")
    codes = {k: (v["commune_code"], v["geo_precision"]) for k, v in got.items()}
    assert codes["N-1"] == codes["N-2"] == codes["N-3"] == ("1009", "commune")
    assert codes["N-4"] == ("0301", "commune") and codes["N-8"] == ("1008", "commune")
    assert codes["N-7"] == ("0301", "arrondissement")
    assert codes["N-9"] == ("0801", "commune")
    # Misspelt and unknown names are kept, unlocated, for the operators' "à localiser" queue.
    assert codes["N-5"] == codes["N-6"] == (None, "none")


def test_dates_in_many_forms_and_zones(corpus):
    got = reports_of(corpus, "dates.csv")
    expected = pd.Timestamp("2023-01-05 10:00")
    assert {k: v["occurred_at"] for k, v in got.items()} == {k: expected for k, _ in make_corpus.DATES[:-3]}
    assert all(v["occurred_local"] == pd.Timestamp("2023-01-05 11:00") for v in got.values())
    quarantine = quarantine_of(corpus, "dates.csv")
    assert quarantine["field"].tolist() == ["occurred_at"] * 3
    assert quarantine["line_no"].tolist() == [13, 14, 15]


def test_future_and_impossible_dates(corpus):
    quarantine = quarantine_of(corpus, "future_and_past.csv")
    assert quarantine["line_no"].tolist() == [2, 3, 4, 5]
    reasons = quarantine["reason"].tolist()
    assert "futur" in reasons[0] and "an 2000" in reasons[2]


def test_ten_megabyte_description_is_kept_truncated(corpus):
    for name in ("big_description.csv", "big_description.jsonl"):
        got = list(reports_of(corpus, name).values())
        assert len(got[0]["description"]) == 20_000 and "description_tronquee" in got[0]["flags"]
        assert got[1]["description"] == "court"


def test_control_characters_are_stripped(corpus):
    control = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
    for name in ("control_characters.csv", "control_characters.jsonl"):
        got = reports_of(corpus, name)
        for row in got.values():
            assert not control.search(row["description"] or ""), row["description"]
            assert not control.search(row["place_text"] or "")
    assert reports_of(corpus, "control_characters.csv")["CTL-NUL"]["description"] == "un octet NUL perdu  au milieu"


def test_search_keys_written_at_ingest_are_the_folded_title_and_place(corpus):
    """An incident's search keys are folded before the write lock; they must be what the search would
    fold itself, whatever the text (controls, HTML, 10 MB, every encoding of the corpus)."""
    cur = corpus["store"].raw_cursor()
    n, differ = cur.execute(
        """select count(*), count(*) filter (where search_title is distinct from strip_accents(lower(title))
                                             or search_place is distinct from strip_accents(lower(place_text)))
           from main.incidents""").fetchone()
    assert n > 50 and differ == 0


def test_html_is_stored_as_plain_text(corpus):
    got = reports_of(corpus, "html_everywhere.csv")
    row = next(iter(got.values()))
    assert row["description"].startswith(make_corpus.SCRIPT)  # stored as given; pages escape it
    assert row["category"] == "autre" and "categorie_inconnue" in row["flags"]


def test_json_bombs_and_odd_numbers(corpus):
    bomb = quarantine_of(corpus, "json_bomb.json")
    assert "imbriqué" in bomb["reason"].iloc[0]
    line = quarantine_of(corpus, "json_bomb_line.jsonl")
    assert line["line_no"].tolist() == [2] and "imbriqué" in line["reason"].iloc[0]
    numbers = reports_of(corpus, "json_numbers.jsonl")
    assert sorted(numbers) == ["JN-2", "JN-4", "JN-5"]
    assert numbers["JN-2"]["lat"] is None  # NaN and Infinity literals: missing values
    assert numbers["JN-4"]["commune_code"] == "0801"
    assert numbers["JN-5"]["description"] == '["liste", {"objet": null}]'
    # 1e999 and a 400-digit number are read as infinite: no coordinate, and said so.
    refused = quarantine_of(corpus, "json_numbers.jsonl")
    assert refused[["line_no", "field"]].values.tolist()[:2] == [[1, "lat"], [3, "lat"]]


def test_truncated_json_names_the_place(corpus):
    reason = quarantine_of(corpus, "truncated_array.json")["reason"].iloc[0]
    assert reason.startswith("JSON illisible à la ligne 2")
    lines = quarantine_of(corpus, "truncated_lines.jsonl")
    assert lines["line_no"].tolist() == [3]


# -- the app keeps running ---------------------------------------------------------------------------------

@pytest.fixture
def app_env(corpus, monkeypatch):
    monkeypatch.setenv("VIGIE_HOME", str(corpus["settings"].home))
    monkeypatch.setenv("VIGIE_USERS", str(FIXTURES / "users.toml"))
    monkeypatch.setenv("VIGIE_CLOCK", "data")
    from vigie.ui import data

    data.get_store.clear()
    yield corpus
    data.get_store.clear()


USERNAMES = {"admin": "admin", "operator": "operateur"}  # accounts of tests/fixtures/users.toml


def logged_in(role: str, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = User(USERNAMES[role], f"Test {role}", role, "", False)
    at.run()
    at.switch_page(page)
    at.run()
    return at


PAGES = sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_hostile_state(app_env, page):
    at = logged_in("admin", page)
    assert not at.exception, at.exception
    assert not [w for w in at.text_input if w.key == "login_username"], "the login form, not the page"
    assert at.title


def test_sources_page_lists_the_quarantine_with_file_line_and_reason(app_env):
    at = logged_in("operator", "pages/sources.py")
    assert not at.exception, at.exception
    table = next(df.value for df in at.dataframe if "reason" in df.value.columns)
    assert {"file_name", "line_no", "reason"} <= set(table.columns)
    expected = sum(int(log["n_quarantined"]) for log in app_env["logs"].values())
    assert len(table) == expected
    by_file = table.groupby("file_name").size().to_dict()
    assert by_file == {name: int(log["n_quarantined"]) for name, log in app_env["logs"].items()
                       if log["n_quarantined"]}
    line = table[(table["file_name"] == "mixed_separators.csv")].sort_values("line_no")
    assert line["line_no"].tolist() == [3, 4, 6, 7]
    assert line["reason"].str.contains("champs au lieu de").all()
