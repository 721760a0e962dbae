"""Locating reports: point-in-polygon against the communes, coordinate mistakes, name matching.

Expected communes come from the data (the pack's cross-check towns and name tables) or from
geography facts written here, never from the code under test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import make_settings
from vigie.config import PACKS_DIR
from vigie import geo
from vigie.geo import Locator, load_pack
from vigie.ingest.inbox import drop_file, process_inbox
from vigie.store import Store
from vigie.text import match_key

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
BENIN = PACKS_DIR / "benin"


@pytest.fixture(scope="module")
def benin():
    return load_pack("benin")


@pytest.fixture(scope="module")
def locator(benin):
    return Locator(benin)


def name_of(pack, code):
    """Commune name for a code, read from the pack's communes table."""
    names = dict(zip(pack.communes["commune_code"], pack.communes["commune"]))
    return None if code is None else names[code]


def code_of(pack, commune_name):
    rows = pack.communes[pack.communes["commune"].map(match_key) == match_key(commune_name)]
    assert len(rows) == 1, commune_name
    return rows["commune_code"].iloc[0]


def locate_points(locator, lat, lon, commune=None, place=None):
    return locator.locate(
        np.asarray(lat, dtype=float),
        np.asarray(lon, dtype=float),
        None if commune is None else pd.Series(commune, dtype=object),
        None if place is None else pd.Series(place, dtype=object),
    )


# -- coordinates ---------------------------------------------------------------------------------

def test_every_crosscheck_town_lands_in_its_commune(benin, locator):
    towns = pd.read_csv(BENIN / "crosscheck_towns.csv")
    assert len(towns) >= 30
    located = locate_points(locator, towns["lat"], towns["lon"])
    found = [name_of(benin, code) for code in located.commune_code]
    assert [match_key(n) for n in found] == [match_key(n) for n in towns["expected_commune"]]
    assert set(located.precision) == {"point"}
    assert all(flag is None for flag in located.flag)
    # commune_at alone agrees with locate
    assert list(locator.commune_at(towns["lat"].to_numpy(), towns["lon"].to_numpy())) == list(located.commune_code)


def test_swapped_latitude_and_longitude_are_detected_and_fixed(benin, locator):
    towns = pd.read_csv(BENIN / "crosscheck_towns.csv")
    located = locate_points(locator, towns["lon"], towns["lat"])  # swapped on purpose
    found = [name_of(benin, code) for code in located.commune_code]
    assert [match_key(n) for n in found] == [match_key(n) for n in towns["expected_commune"]]
    assert list(located.flag) == ["coord_swapped"] * len(towns)
    assert set(located.precision) == {"point"}
    np.testing.assert_allclose(located.lat, towns["lat"])
    np.testing.assert_allclose(located.lon, towns["lon"])


def test_zero_zero_is_flagged_and_not_placed(locator):
    located = locate_points(locator, [0.0], [0.0])
    assert located.flag[0] == "coord_zero"
    assert located.commune_code[0] is None
    assert located.precision[0] == "none"
    assert np.isnan(located.lat[0]) and np.isnan(located.lon[0])


def test_zero_zero_falls_back_to_the_commune_name(benin, locator):
    located = locate_points(locator, [0.0], [0.0], commune=["Cotonou"])
    assert located.flag[0] == "coord_zero"
    assert name_of(benin, located.commune_code[0]) == "Cotonou"
    assert located.precision[0] == "commune"


@pytest.mark.parametrize(
    "where, lat, lon",
    [
        ("Gulf of Guinea", 5.6, 2.4),
        ("Lomé, Togo", 6.1319, 1.2228),
        ("Kara, Togo", 9.5511, 1.1861),
        ("Lagos, Nigeria", 6.4550, 3.3841),
        ("Niamey, Niger", 13.51, 2.11),
    ],
)
def test_point_outside_the_country_is_kept_and_flagged(locator, where, lat, lon):
    located = locate_points(locator, [lat], [lon])
    assert located.commune_code[0] is None, where
    assert located.departement_code[0] is None
    assert located.precision[0] == "none"
    assert located.flag[0] == "outside_country"
    assert (located.lat[0], located.lon[0]) == (lat, lon)  # kept as given


@pytest.mark.parametrize("lat, lon", [(95.0, 2.3), (6.4, 200.0), (-91.0, -181.0), (1e9, 2.0)])
def test_out_of_range_numbers_are_flagged_invalid(locator, lat, lon):
    located = locate_points(locator, [lat], [lon])
    assert located.flag[0] == "coord_invalid"
    assert located.commune_code[0] is None
    assert located.precision[0] == "none"


def test_missing_coordinates_are_not_flagged(locator):
    located = locate_points(locator, [np.nan, 6.45], [np.nan, np.nan])
    assert list(located.flag) == [None, None]
    assert list(located.precision) == ["none", "none"]


def test_one_batch_mixes_every_case(benin, locator):
    located = locate_points(
        locator,
        [6.45, 2.35, 0.0, 5.6, 95.0, np.nan],
        [2.35, 6.45, 0.0, 2.4, 2.3, np.nan],
        place=[None, None, None, None, None, "Godomey"],
    )
    assert list(located.flag) == [None, "coord_swapped", "coord_zero", "outside_country", "coord_invalid", None]
    assert list(located.precision) == ["point", "point", "none", "none", "none", "arrondissement"]
    calavi = code_of(benin, "Abomey-Calavi")
    assert list(located.commune_code) == [calavi, calavi, None, None, None, calavi]


# -- names -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, commune",
    [
        ("SEME PODJI", "Sèmè-Kpodji"),
        ("sèmè-kpodji", "Sèmè-Kpodji"),
        ("Seme-Kpodji", "Sèmè-Kpodji"),
        ("Abomey Calavi", "Abomey-Calavi"),
        ("abomey-calavi", "Abomey-Calavi"),
        ("PORTO-NOVO", "Porto-Novo"),
        ("porto novo", "Porto-Novo"),
        ("  Cotonou ", "Cotonou"),
        ("KETOU", "Kétou"),
        ("Bembereke", "Bembèrèkè"),
        ("0801", "Cotonou"),  # a commune code given in a `code_commune` column
    ],
)
def test_commune_names_match_without_accents_case_or_hyphens(benin, locator, text, commune):
    code, dep, precision = locator.match_name(text)
    assert name_of(benin, code) == commune
    assert precision == "commune"
    deps = dict(zip(benin.communes["commune_code"], benin.communes["departement_code"]))
    assert dep == deps[code_of(benin, commune)]


@pytest.mark.parametrize(
    "text, commune, precision",
    [
        ("Godomey", "Abomey-Calavi", "arrondissement"),
        ("GODOMEY", "Abomey-Calavi", "arrondissement"),
        ("Agblangandan", "Sèmè-Kpodji", "arrondissement"),
        ("Dantokpa", "Cotonou", "locality"),
        ("Affrontements à Godomey", "Abomey-Calavi", "arrondissement"),  # a place inside free text
        ("Marché Dantokpa, Cotonou", "Cotonou", "commune"),
    ],
)
def test_arrondissements_and_localities_match_with_their_precision(benin, locator, text, commune, precision):
    code, _dep, got = locator.match_name(text)
    assert (name_of(benin, code), got) == (commune, precision)


def _keys_by_commune(path, name_col):
    table = pd.read_csv(path, dtype=str)
    table["key"] = table[name_col].map(match_key)
    return table.groupby("key")["commune_code"].agg(lambda codes: set(codes))


def _commune_level_keys(pack):
    variants = pd.read_csv(BENIN / "commune_name_variants.csv", dtype=str)["match_key"]
    return set(pack.communes["commune"].map(match_key)) | set(variants)


def test_every_unambiguous_arrondissement_matches_its_commune(benin, locator):
    arr = _keys_by_commune(BENIN / "arrondissements.csv", "arrondissement")
    unique = arr[arr.map(len) == 1]
    unique = unique[~unique.index.isin(_commune_level_keys(benin))]
    assert len(unique) > 400
    for key, codes in unique.items():
        assert locator.match_name(key.upper())[::2] == (next(iter(codes)), "arrondissement"), key


def test_every_unambiguous_locality_matches_its_commune(benin, locator):
    loc = _keys_by_commune(BENIN / "localites.csv", "name")
    arr = _keys_by_commune(BENIN / "arrondissements.csv", "arrondissement")
    unique = loc[loc.map(len) == 1]
    unique = unique[~unique.index.isin(_commune_level_keys(benin) | set(arr.index))]
    assert len(unique) > 3000
    for key, codes in unique.items():
        assert locator.match_name(key)[::2] == (next(iter(codes)), "locality"), key


def test_ambiguous_names_are_not_guessed(locator):
    """A name shared by places of several communes gives no commune, even if a finer level has it once."""
    arr = _keys_by_commune(BENIN / "arrondissements.csv", "arrondissement")
    loc = _keys_by_commune(BENIN / "localites.csv", "name")
    communes = _commune_level_keys(locator.pack)
    ambiguous = [k for k, codes in arr.items() if len(codes) > 1 and k not in communes]
    ambiguous += [k for k, codes in loc.items() if len(codes) > 1 and k not in communes and k not in arr.index]
    assert len(ambiguous) > 100
    # e.g. Djègbé: an arrondissement of Abomey and of Ouèssè, and a village of Abomey only.
    assert "djegbe" in ambiguous and "ouenou" in ambiguous
    guessed = {k: locator.match_name(k) for k in ambiguous if locator.match_name(k)[0] is not None}
    assert guessed == {}


@pytest.mark.parametrize("text, departement", [("Zou", "Zou"), ("LITTORAL", "Littoral"), ("atacora", "Atacora"),
                                               ("Ouémé", "Ouémé")])
def test_departement_name_alone_gives_departement_precision(benin, locator, text, departement):
    code, dep, precision = locator.match_name(text)
    deps = dict(zip(benin.communes["departement"], benin.communes["departement_code"]))
    assert (code, dep, precision) == (None, deps[departement], "departement")


@pytest.mark.parametrize("text", ["Xyzzy", "Paris", "", None, "   ", "---"])
def test_unknown_names_give_none(locator, text):
    assert locator.match_name(text) == (None, None, "none")


# -- Niger: nothing is hard-wired to Benin --------------------------------------------------------

@pytest.fixture(scope="module")
def niger():
    return load_pack("niger")


def test_niger_pack_loads_without_population_or_election(niger):
    assert niger.id == "niger"
    assert len(niger.communes) == 266
    assert niger.communes["commune_code"].is_unique
    assert not niger.has_population and niger.communes["population"].isna().all()
    assert niger.election is None
    assert len(niger.geometries) == 266


def test_niger_locator_places_niamey_and_matches_names_without_accents(niger):
    locator = Locator(niger)
    located = locate_points(locator, [13.51], [2.11])
    assert name_of(niger, located.commune_code[0]).startswith("Niamey")
    assert located.precision[0] == "point"
    assert name_of(niger, locator.match_name("MAINE SOROA")[0]) == "Maïné Soroa"
    assert name_of(niger, locator.match_name("birni n gaoure")[0]) == "Birni N'Gaouré"
    assert name_of(niger, locator.match_name("Tillaberi")[0]) == "Tillabéri"
    # Two Niger communes are called Tibiri: the name alone does not say which.
    assert (niger.communes["commune"] == "Tibiri").sum() == 2
    assert locator.match_name("Tibiri")[0] is None
    # A Benin name means nothing in the Niger pack.
    assert locator.match_name("Cotonou") == (None, None, "none")


def test_niger_store_and_ingest_round_trip(tmp_path, niger):
    settings = make_settings(tmp_path / "state", pack="niger")
    store = Store.open(settings)
    try:
        cur = store.raw_cursor()
        assert cur.execute("select count(*), count(population) from communes").fetchone() == (266, 0)
        drop_file(settings.inbox, FEEDS / "niger_places.csv")
        [result] = process_inbox(store, settings)
        assert (result.received, result.accepted, result.quarantined, result.error) == (4, 4, 0, None)
        rows = cur.execute(
            """
            select r.source_ref, c.commune, r.geo_precision, r.flags, r.occurred_at
            from reports r left join communes c using (commune_code) order by r.source_ref
            """
        ).fetchall()
    finally:
        store.close()
    by_ref = {ref: (commune, precision, flags) for ref, commune, precision, flags, _ in rows}
    assert by_ref["NE-1"][0].startswith("Niamey") and by_ref["NE-1"][1] == "point"
    assert by_ref["NE-2"][:2] == ("Maïné Soroa", "commune")
    assert by_ref["NE-3"][:2] == ("Tillabéri", "commune")
    # A point in Cotonou is outside Niger: kept, not placed, flagged.
    assert by_ref["NE-4"][:2] == (None, "none") and "outside_country" in by_ref["NE-4"][2]
    # Niger is UTC+1 too (pack.toml): 05/02/2023 10:00 local is 09:00 UTC.
    assert str(rows[0][4]) == "2023-02-05 09:00:00"


def test_name_cache_stays_bounded_and_answers_stay_right(benin, monkeypatch):
    """The inbox keeps one Locator for the server's life; free-text places must not grow it forever."""
    monkeypatch.setattr(geo, "NAME_CACHE_SIZE", 100)
    locator = Locator(benin)
    for i in range(1_000):
        assert locator.match_name(f"marché {i}, Cotonou")[0] == locator.match_name("Cotonou")[0]
        assert len(locator._name_cache) <= 100
    # A name forgotten long ago is matched again, the same way.
    assert locator.match_name("marché 0, Cotonou") == locator.match_name("Cotonou")
