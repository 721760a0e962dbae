"""Country packs (boundaries, names, election profile) and locating reports in their commune.

Locating is vectorised: a bounding-box mask per commune, then `shapely.contains_xy` on the points
inside it (about 0.5 s for a million points against 80 polygons). Names are matched on their
`match_key` (no accents, case or hyphens), first as a commune, then as an arrondissement, a locality
and a département, and the precision says which one matched.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from vigie.config import PACKS_DIR
from vigie.text import as_text, match_key


class PackError(Exception):
    """A country pack is missing or malformed."""


@dataclass(frozen=True)
class Phase:
    code: str
    start: dt.date
    end: dt.date  # inclusive


@dataclass(frozen=True)
class Election:
    name: str
    name_en: str
    election_day: dt.date
    phases: tuple[Phase, ...]

    @property
    def start(self) -> dt.date:
        return min(p.start for p in self.phases)

    @property
    def end(self) -> dt.date:
        return max(p.end for p in self.phases)

    def phase_of(self, day: dt.date) -> str | None:
        return next((p.code for p in self.phases if p.start <= day <= p.end), None)


@dataclass
class Pack:
    id: str
    name: str
    name_en: str
    folder: Path
    utc_offset_hours: float
    admin1_label: tuple[str, str]
    admin2_label: tuple[str, str]
    communes: pd.DataFrame  # commune_code, commune, departement_code, departement, population, area_km2, lat, lon
    geometries: np.ndarray  # shapely polygons, aligned with `communes`
    population_note: str | None
    election: Election | None
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # match_key -> (commune_code, precision)
    departement_names: dict[str, str] = field(default_factory=dict)  # match_key -> departement_code

    @property
    def has_population(self) -> bool:
        return bool(self.communes["population"].notna().all())

    @property
    def geojson_path(self) -> Path:
        return self.folder / "communes.geojson"

    def bounds(self) -> tuple[float, float, float, float]:
        return tuple(shapely.total_bounds(self.geometries))  # type: ignore[return-value]


def available_packs() -> list[str]:
    return sorted(p.parent.name for p in PACKS_DIR.glob("*/pack.toml"))


@functools.lru_cache(maxsize=8)
def load_pack(pack_id: str) -> Pack:
    folder = PACKS_DIR / pack_id
    if not (folder / "pack.toml").exists():
        raise PackError(f"Pack pays inconnu : {pack_id!r} (disponibles : {', '.join(available_packs())})")
    with open(folder / "pack.toml", "rb") as fh:
        meta = tomllib.load(fh)
    with open(folder / "communes.geojson", encoding="utf-8") as fh:
        gj = json.load(fh)
    dep_code_field = meta.get("departement_code_field", "departement_code")
    dep_field = meta.get("departement_field", "departement")
    pop_field = meta.get("population_field")
    rows, geoms = [], []
    for feat in gj["features"]:
        props = feat["properties"]
        geom = shapely.geometry.shape(feat["geometry"])
        rows.append(
            {
                "commune_code": str(props["commune_code"]),
                "commune": props["commune"],
                "departement_code": str(props[dep_code_field]),
                "departement": props[dep_field],
                "population": float(props[pop_field]) if pop_field and props.get(pop_field) is not None else np.nan,
                "area_km2": props.get("area_km2"),
            }
        )
        geoms.append(geom)
    communes = pd.DataFrame(rows)
    geometries = np.array(geoms, dtype=object)
    shapely.prepare(geometries)
    # A representative point always lies inside its polygon (a centroid may not).
    reps = shapely.point_on_surface(geometries)
    communes["lon"] = shapely.get_x(reps)
    communes["lat"] = shapely.get_y(reps)
    pack = Pack(
        id=meta["id"],
        name=meta["name"],
        name_en=meta.get("name_en", meta["name"]),
        folder=folder,
        utc_offset_hours=float(meta.get("utc_offset_hours", 0)),
        admin1_label=tuple(meta.get("admin1_label", ["Département", "Department"])),
        admin2_label=tuple(meta.get("admin2_label", ["Commune", "Commune"])),
        communes=communes,
        geometries=geometries,
        population_note=meta.get("population_note"),
        election=_load_election(folder / meta["election"]) if meta.get("election") else None,
    )
    pack.names, pack.departement_names = _build_name_index(folder, meta, communes)
    return pack


def _load_election(path: Path) -> Election:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    phases = tuple(Phase(p["code"], p["start"], p["end"]) for p in data["phases"])
    return Election(data["name"], data.get("name_en", data["name"]), data["election_day"], phases)


def _unique_keys(keys: pd.Series, codes: pd.Series) -> tuple[dict[str, str], set[str]]:
    """(keys that point to exactly one commune, ambiguous keys): ambiguous names are left out rather than guessed."""
    frame = pd.DataFrame({"key": keys, "code": codes}).dropna().drop_duplicates()
    frame = frame[frame["key"] != ""]
    counts = frame.groupby("key")["code"].transform("nunique")
    unique = dict(zip(frame.loc[counts == 1, "key"], frame.loc[counts == 1, "code"]))
    return unique, set(frame.loc[counts > 1, "key"])


def _build_name_index(folder: Path, meta: dict, communes: pd.DataFrame) -> tuple[dict, dict]:
    names: dict[str, tuple[str, str]] = {}
    official, ambiguous = _unique_keys(communes["commune"].map(match_key), communes["commune_code"])
    variants: dict[str, str] = {}
    if meta.get("name_variants"):
        table = pd.read_csv(folder / meta["name_variants"], dtype=str)
        # A "variant" that the pack itself says is an arrondissement keeps that finer precision.
        table = table[~table["sources"].fillna("").str.contains("arrondissement of")]
        variants, ambiguous_variants = _unique_keys(table["match_key"], table["commune_code"])
        ambiguous |= ambiguous_variants
    for key, code in {**variants, **official}.items():
        if key not in ambiguous:
            names[key] = (code, "commune")
    # Finer levels add the names that are neither a name nor an ambiguous name of a coarser level:
    # "Djègbé" is an arrondissement of two communes and a village of one, and must not be guessed.
    for level, file_key, name_col in (("arrondissement", "arrondissements", "arrondissement"),
                                      ("locality", "localites", "name")):
        if not meta.get(file_key):
            continue
        table = pd.read_csv(folder / meta[file_key], dtype=str)
        unique, ambiguous_here = _unique_keys(table[name_col].map(match_key), table["commune_code"])
        for key, code in unique.items():
            if key not in ambiguous:
                names.setdefault(key, (code, level))
        ambiguous |= ambiguous_here
    deps = communes[["departement_code", "departement"]].drop_duplicates()
    departement_names, _ = _unique_keys(deps["departement"].map(match_key), deps["departement_code"])
    return names, departement_names


@dataclass
class Located:
    commune_code: np.ndarray  # object array, None when not located to a commune
    departement_code: np.ndarray
    precision: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    flag: np.ndarray  # object array: None, "coord_swapped", "coord_zero", "outside_country", "coord_invalid"


# Distinct place names remembered by a Locator (feeds repeat the same few hundred).
NAME_CACHE_SIZE = 50_000


class Locator:
    """Puts reports in their commune, from coordinates or names."""

    def __init__(self, pack: Pack):
        self.pack = pack
        self.codes = pack.communes["commune_code"].to_numpy(dtype=object)
        self.dep_of = dict(zip(pack.communes["commune_code"], pack.communes["departement_code"]))
        self.bboxes = shapely.bounds(pack.geometries)  # (n, 4): minx, miny, maxx, maxy
        # Feeds may give the commune's code instead of its name (column `code_commune`). Kept out of
        # pack.names: a number at the start of an SMS is not a place.
        self.by_code = {match_key(code): code for code in self.codes}
        self._name_cache: dict[str, tuple[str | None, str | None, str]] = {}

    def commune_at(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Commune code for each point (object array, None outside every commune)."""
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        found = np.full(lat.shape, -1, dtype=np.int32)
        valid = np.isfinite(lat) & np.isfinite(lon)
        for i, (minx, miny, maxx, maxy) in enumerate(self.bboxes):
            idx = np.flatnonzero(valid & (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy))
            if idx.size:
                inside = shapely.contains_xy(self.pack.geometries[i], lon[idx], lat[idx])
                hit = idx[inside]
                found[hit] = i
                valid[hit] = False  # a point belongs to one commune: skip it for the next polygons
        out = np.full(lat.shape, None, dtype=object)
        ok = found >= 0
        out[ok] = self.codes[found[ok]]
        return out

    def match_name(self, text: str | None) -> tuple[str | None, str | None, str]:
        """(commune_code, departement_code, precision) for a place name, trying each part of it."""
        if not text:
            return None, None, "none"
        found = self._name_cache.get(text)
        if found is None:
            if len(self._name_cache) >= NAME_CACHE_SIZE:
                # The inbox keeps one Locator for the life of the server and SMS place texts are free
                # text: forget the older half rather than grow for the whole campaign.
                for old in list(self._name_cache)[: NAME_CACHE_SIZE // 2]:
                    del self._name_cache[old]
            found = self._name_cache[text] = self._match_code(text) or self._match_parts(text)
        return found

    def _match_code(self, text: str) -> tuple[str | None, str | None, str] | None:
        code = self.by_code.get(match_key(text))
        return (code, self.dep_of.get(code), "commune") if code else None

    def _match_parts(self, text: str) -> tuple[str | None, str | None, str]:
        parts = [text] + [p for p in _split_place(text) if p != text]
        for part in parts:
            key = match_key(part)
            if key in self.pack.names:
                code, precision = self.pack.names[key]
                return code, self.dep_of.get(code), precision
        for part in parts:
            dep = self.pack.departement_names.get(match_key(part))
            if dep:
                return None, dep, "departement"
        return None, None, "none"

    def locate(
        self,
        lat: np.ndarray,
        lon: np.ndarray,
        commune_text: pd.Series | pa.Array | None = None,
        place_text: pd.Series | pa.Array | None = None,
    ) -> Located:
        """Locate a batch. Coordinates win; names fill in what coordinates could not place."""
        lat = np.asarray(lat, dtype=float).copy()
        lon = np.asarray(lon, dtype=float).copy()
        n = lat.shape[0]
        flag = np.full(n, None, dtype=object)

        zero = (lat == 0) & (lon == 0)
        flag[zero] = "coord_zero"
        lat[zero] = np.nan
        lon[zero] = np.nan

        has = np.isfinite(lat) & np.isfinite(lon)
        out_of_range = has & ((np.abs(lat) > 90) | (np.abs(lon) > 180))
        code = self.commune_at(np.where(out_of_range, np.nan, lat), np.where(out_of_range, np.nan, lon))
        # Swapped lat/lon: the given point is outside the country and the swapped one inside.
        missing = has & (code == None)  # noqa: E711
        if missing.any():
            idx = np.flatnonzero(missing)
            swapped = self.commune_at(lon[idx], lat[idx])
            ok = swapped != None  # noqa: E711
            fix = idx[ok]
            lat[fix], lon[fix] = lon[fix].copy(), lat[fix].copy()
            code[fix] = swapped[ok]
            flag[fix] = "coord_swapped"
            outside = idx[~ok]
            flag[outside] = np.where(out_of_range[outside], "coord_invalid", "outside_country")

        precision = np.where(code != None, "point", "none").astype(object)  # noqa: E711
        dep = np.array([self.dep_of.get(c) if c is not None else None for c in code], dtype=object)

        # Names for what the coordinates did not place: the commune column first, then the place text.
        for texts in (commune_text, place_text):
            if texts is None:
                continue
            todo = np.flatnonzero(code == None)  # noqa: E711
            if not todo.size:
                break
            values = pc.take(as_text(texts), pa.array(todo))
            # Match each distinct name once: feeds repeat the same few hundred names.
            names = [v for v in pc.unique(pc.drop_null(values)).to_pylist() if v]
            found = [self.match_name(v) for v in names] + [(None, None, None)]  # the last: no name
            at = pc.fill_null(pc.index_in(values, value_set=pa.array(names, pa.string())), -1).to_numpy()
            c, d, p = (np.array([f[i] for f in found], dtype=object)[at] for i in range(3))
            named = c != None  # noqa: E711
            code[todo[named]], dep[todo[named]], precision[todo[named]] = c[named], d[named], p[named]
            only_dep = ~named & (d != None) & (dep[todo] == None)  # noqa: E711
            dep[todo[only_dep]], precision[todo[only_dep]] = d[only_dep], p[only_dep]
        return Located(code, dep, precision, lat, lon, flag)


def _split_place(text: str) -> list[str]:
    import re

    return [p.strip() for p in re.split(r"[,;/()]|\bà\b|\bau\b|\ben\b", text) if p and p.strip()]
