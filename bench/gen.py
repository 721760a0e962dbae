"""Deterministic benchmark data: native CSV reports over the Benin communes, vectorised.

`generate(pack, n)` builds n distinct reports plus ~2 % exact copies of some of them (same id, same
content), shuffled together, as an Arrow table of the native feed's French columns. Every draw comes
from one `numpy.random.default_rng(seed)`, so the same arguments give the same files byte for byte.

- where: communes drawn in proportion to their population; ~60 % of reports carry coordinates (points
  sampled inside the commune polygon), ~25 % only a commune name, ~15 % only a locality name;
- when: 23 Dec 2022 – 11 Jan 2023 (local time), daytime-heavy, with a peak on election day;
- what: the taxonomy's categories (codes or French labels), severities (digits or words), channels,
  and a description built from varied wordings, the place, the clock time and a report number, so that
  distinct events do not look like near-duplicates of each other (each report founds its incident).

Strings are built with pyarrow.compute and written with pyarrow's CSV writer, so a million rows take
seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely

from vigie.geo import Pack
from vigie.taxonomy import CATEGORIES, CATEGORY_SHORT, SEVERITIES
from vigie.text import match_key

COLUMNS = ["id", "source", "date", "latitude", "longitude", "commune", "lieu", "categorie", "gravite",
           "description"]
START = dt.datetime(2022, 12, 23)  # local time, inclusive
DAYS = 20  # to 11 Jan 2023 inclusive
ELECTION_DAY = dt.datetime(2023, 1, 8)

KIND_POINT, KIND_COMMUNE, KIND_LOCALITY = 0, 1, 2
KIND_WEIGHTS = [0.60, 0.25, 0.15]
SOURCES = np.array(["sms", "observateurs", "reseaux_sociaux", "police", "partis"])
SOURCE_WEIGHTS = [0.35, 0.25, 0.20, 0.10, 0.10]
CATEGORY_CODES = np.array(list(CATEGORIES))
CATEGORY_WEIGHTS = np.array([10, 9, 10, 5, 12, 6, 8, 9, 8, 3, 6, 4, 10], dtype=float)
CATEGORY_LABELS = np.array([CATEGORY_SHORT[c][0] for c in CATEGORIES])
SEVERITY_WEIGHTS = [0.40, 0.30, 0.20, 0.10]
SEVERITY_WORDS = np.array([""] + [fr for fr, _en in SEVERITIES.values()])
# Daytime-heavy hour profile (local time).
HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 9, 8, 8, 8, 8, 9, 9, 8, 7, 5, 4, 2, 1], dtype=float)
# Descriptions: an opener, one of three wordings of the event (per category, in taxonomy order), a
# setting, the place, the time and the report number. Distinct events must not look alike to the
# near-duplicate grouping, as in real feeds: the clock time and the number differ between reports.
EVENTS = [
    [
        "Affrontements entre militants",
        "Bagarre entre partisans de deux partis",
        "Des jeunes armés de gourdins ont attaqué des militants",
    ],
    [
        "Menaces contre un candidat",
        "Intimidation d'électeurs par des inconnus",
        "Un agent électoral a reçu des menaces de mort",
    ],
    [
        "Meeting perturbé par des jets de pierres",
        "Caravane de campagne bloquée par des manifestants",
        "Sono d'un meeting saccagée",
    ],
    [
        "Affiches et matériel électoral détruits",
        "Local de parti incendié",
        "Urnes endommagées pendant le transport",
    ],
    [
        "Rumeur de report du scrutin sur les réseaux",
        "Fausse annonce du retrait d'un candidat",
        "Vidéo truquée partagée sur WhatsApp",
    ],
    [
        "Propos haineux lors d'un rassemblement",
        "Appel à la violence contre une communauté",
        "Message d'incitation diffusé à la radio locale",
    ],
    [
        "Distribution d'argent aux électeurs",
        "Achat de cartes d'électeur",
        "Distribution de vivres contre promesse de vote",
    ],
    [
        "Bourrage d'urne signalé",
        "Électeurs votant plusieurs fois",
        "Procès-verbal modifié après le dépouillement",
    ],
    [
        "Retard dans la livraison du matériel",
        "Bulletins manquants dans un bureau",
        "Bureau de vote ouvert avec trois heures de retard",
    ],
    [
        "Présence d'hommes armés signalée",
        "Enlèvement d'un militant",
        "Attaque d'un poste de police",
    ],
    [
        "Manifestation devant la mairie",
        "Marche de protestation de jeunes",
        "Sit-in devant la commission électorale",
    ],
    [
        "Interpellation de militants",
        "Arrestation d'un responsable de parti",
        "Garde à vue de plusieurs jeunes",
    ],
    [
        "Incident signalé",
        "Situation tendue",
        "Attroupement inhabituel",
    ],
]
SETTINGS = [
    "au marché", "devant la mairie", "près de l'école primaire publique", "au carrefour principal",
    "devant le bureau de vote", "à la sortie d'un meeting", "sur la voie principale", "près de la gare routière",
    "devant le siège du parti", "au centre de vote", "près du commissariat", "dans le quartier",
]
OPENERS = ["", "", "Selon un observateur : ", "Témoin : ", "Urgent : ", "Alerte : ", "SMS reçu : "]


@dataclass
class Dataset:
    table: pa.Table  # every row in file order: n_unique distinct reports + n_duplicates exact copies
    n_unique: int
    n_duplicates: int
    kind: np.ndarray  # KIND_* per row of `table`
    commune_code: np.ndarray  # the commune each row was generated in (ground truth)

    @property
    def n_rows(self) -> int:
        return self.table.num_rows


def _points_in(geom, bbox, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """k points uniformly inside `geom` (rejection sampling from its bounding box)."""
    minx, miny, maxx, maxy = bbox
    fill = max(shapely.area(geom) / ((maxx - minx) * (maxy - miny)), 0.05)
    xs, ys, got = [], [], 0
    while got < k:
        m = int((k - got) / fill * 1.2) + 16
        x = rng.uniform(minx, maxx, m)
        y = rng.uniform(miny, maxy, m)
        # Rounded as they will be written, so the written point is the one tested.
        x, y = np.round(x, 5), np.round(y, 5)
        inside = shapely.contains_xy(geom, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        got += int(inside.sum())
    return np.concatenate(xs)[:k], np.concatenate(ys)[:k]


def _place_names(pack: Pack) -> list[np.ndarray]:
    """Per commune (aligned with pack.communes): locality and arrondissement names that resolve to it."""
    codes = list(pack.communes["commune_code"])
    found: dict[str, list[str]] = {c: [] for c in codes}
    for file, column, level in (("localites.csv", "name", "locality"),
                                ("arrondissements.csv", "arrondissement", "arrondissement")):
        path = pack.folder / file
        if not path.exists():
            continue
        table = pd.read_csv(path, dtype=str)
        for name, code in zip(table[column], table["commune_code"]):
            if isinstance(name, str) and pack.names.get(match_key(name)) == (code, level):
                found[code].append(name.strip().title() if name.isupper() else name.strip())
    return [np.array(sorted(set(found[c])), dtype=object) for c in codes]


def _take(vocabulary, index: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Strings by index into a small vocabulary (done in Arrow: fast for millions of rows)."""
    out = pc.take(pa.array(list(vocabulary), pa.string()), pa.array(index))
    return pc.if_else(pa.array(mask), pa.nulls(len(index), pa.string()), out) if mask is not None else out


def generate(pack: Pack, n: int, seed: int = 42, duplicate_rate: float = 0.02, id_prefix: str = "BJ",
             start: dt.datetime = START, days: int = DAYS) -> Dataset:
    rng = np.random.default_rng(seed)
    communes = pack.communes
    n_communes = len(communes)
    codes = communes["commune_code"].to_numpy(dtype=object)
    weights = communes["population"].fillna(communes["population"].median()).to_numpy(dtype=float)
    ci = rng.choice(n_communes, n, p=weights / weights.sum())
    kind = rng.choice(3, n, p=KIND_WEIGHTS)

    # When: most reports spread over the period, a fifth on election day (7:00-19:00).
    day = rng.integers(0, days, n)
    hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    vote = rng.random(n) < 0.20
    election_offset = (ELECTION_DAY - start).days
    if 0 <= election_offset < days:
        day = np.where(vote, election_offset, day)
        hour = np.where(vote, rng.integers(7, 19, n), hour)
    minute = day * 1440 + hour * 60 + rng.integers(0, 60, n)
    iso = rng.random(n) < 0.2  # a fifth of the dates in ISO form, the rest as JJ/MM/AAAA HH:MM

    # Where: a point inside the commune, its name (as written or in capitals), or one of its localities.
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    localities = _place_names(pack)
    # Vocabulary of place texts: commune names, the same in capitals, then every commune's localities.
    names = [str(v) for v in communes["commune"]]
    vocabulary = names + [v.upper() for v in names]
    first_locality = []
    for loc in localities:
        first_locality.append(len(vocabulary))
        vocabulary.extend(loc.tolist())
    place = ci.copy()  # index into `vocabulary` of the text the description mentions
    commune_word = np.where(rng.random(n) < 0.3, ci + n_communes, ci)
    bboxes = shapely.bounds(pack.geometries)
    for i in range(n_communes):
        rows = np.flatnonzero((ci == i) & (kind == KIND_POINT))
        if rows.size:
            lon[rows], lat[rows] = _points_in(pack.geometries[i], bboxes[i], rows.size, rng)
        rows = np.flatnonzero((ci == i) & (kind == KIND_LOCALITY))
        if rows.size and localities[i].size:
            place[rows] = first_locality[i] + rng.integers(0, localities[i].size, rows.size)
        elif rows.size:
            kind[rows] = KIND_COMMUNE  # no locality name resolves to this commune: use its name
    comma = rng.random(n) < 0.5  # French spreadsheets write a decimal comma
    cat = rng.choice(len(CATEGORY_CODES), n, p=CATEGORY_WEIGHTS / CATEGORY_WEIGHTS.sum())
    cat_label = rng.random(n) < 0.25
    sev = rng.choice(4, n, p=SEVERITY_WEIGHTS) + 1
    sev_word = rng.random(n) < 0.1
    source = rng.choice(len(SOURCES), n, p=SOURCE_WEIGHTS)

    # Exact duplicates: some reports arrive twice (same id, same content), anywhere in the stream.
    n_dup = int(round(n * duplicate_rate))
    copies = rng.choice(n, n_dup, replace=False)
    rows = np.concatenate([np.arange(n), copies])[rng.permutation(n + n_dup)]
    kind_r = kind[rows]
    point = kind_r == KIND_POINT

    def coord(values: np.ndarray) -> pa.Array:
        text = pc.cast(pa.array(values[rows], mask=~point), pa.string())
        return pc.if_else(pa.array(comma[rows]), pc.replace_substring(text, ".", ","), text)

    stamps = [start + dt.timedelta(minutes=m) for m in range(days * 1440)]
    date_vocab = [f"{s:%d/%m/%Y %H:%M}" for s in stamps] + [f"{s:%Y-%m-%d %H:%M}" for s in stamps]
    ids = pc.binary_join_element_wise(
        pa.scalar(id_prefix), pc.utf8_lpad(pc.cast(pa.array(rows + 1), pa.string()), 7, "0"), "-")
    wording = cat * 3 + rng.integers(0, 3, n)
    setting = rng.integers(0, len(SETTINGS), n)
    opener = rng.integers(0, len(OPENERS), n)
    clocks = [f"{m // 60}h{m % 60:02d}" for m in range(1440)]
    description = pc.binary_join_element_wise(
        _take(OPENERS, opener[rows]), _take([e for per in EVENTS for e in per], wording[rows]), pa.scalar(" "),
        _take(SETTINGS, setting[rows]), pa.scalar(" à "), _take(vocabulary, place[rows]), pa.scalar(" vers "),
        _take(clocks, (minute % 1440)[rows]), pa.scalar(" (n° "), pc.cast(pa.array(rows + 1), pa.string()),
        pa.scalar(")"), "")
    table = pa.table({
        "id": ids,
        "source": _take(SOURCES, source[rows]),
        "date": _take(date_vocab, (minute + iso * days * 1440)[rows]),
        "latitude": coord(lat),
        "longitude": coord(lon),
        "commune": _take(vocabulary, commune_word[rows], mask=kind_r != KIND_COMMUNE),
        "lieu": _take(vocabulary, place[rows], mask=kind_r != KIND_LOCALITY),
        "categorie": _take(np.concatenate([CATEGORY_CODES, CATEGORY_LABELS]),
                           (cat + cat_label * len(CATEGORY_CODES))[rows]),
        "gravite": _take([str(s) for s in range(5)] + SEVERITY_WORDS.tolist(), (sev + sev_word * 5)[rows]),
        "description": description,
    })
    return Dataset(table=table, n_unique=n, n_duplicates=n_dup, kind=kind_r, commune_code=codes[ci][rows])


# Unquoted, as a French spreadsheet exports it (the generated texts hold no `;` nor `"`).
WRITE_OPTIONS = pacsv.WriteOptions(delimiter=";", quoting_style="none", include_header=False)


def csv_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, WRITE_OPTIONS)
    return (";".join(table.column_names) + "\n").encode() + sink.getvalue().to_pybytes()


def write_files(table: pa.Table, folder: Path, rows_per_file: int, prefix: str) -> list[Path]:
    """Split `table` into CSV files of `rows_per_file` rows; returns their paths in order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, offset in enumerate(range(0, table.num_rows, rows_per_file)):
        path = folder / f"{prefix}-{k + 1:05d}.csv"
        path.write_bytes(csv_bytes(table.slice(offset, rows_per_file)))
        paths.append(path)
    return paths
