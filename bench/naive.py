"""The naive baseline: what many Streamlit dashboards do on every rerun.

pandas re-reads every raw CSV file, parses coordinates and dates, places the points with a geopandas
`sjoin` against the commune polygons (names through a dictionary), drops duplicate ids, then groups
for the map and the timeline. Nothing is cached between reruns except the polygons (kind to the
baseline: many dashboards re-read those too).

It runs in its own process (`python -m bench.naive FILE… --repeat K`) so that its peak memory can be
read like the server's; it prints one JSON object with the timings in seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from vigie.geo import load_pack
from vigie.taxonomy import CATEGORY_SHORT, SEVERITIES

WEIGHTS = {1: 1, 2: 2, 3: 4, 4: 8}


def _lookups(pack):
    names = {str(n).upper(): c for n, c in zip(pack.communes["commune"], pack.communes["commune_code"])}
    localities = pd.read_csv(pack.folder / "localites.csv", dtype=str)
    for name, code in zip(localities["name"], localities["commune_code"]):
        names.setdefault(str(name).upper(), code)
    categories = {fr: code for code, (fr, _en) in CATEGORY_SHORT.items()}
    severities = {str(k): k for k in SEVERITIES} | {fr: k for k, (fr, _en) in SEVERITIES.items()}
    return names, categories, severities


def load(files: list[Path], communes: gpd.GeoDataFrame, lookups) -> pd.DataFrame:
    """Read, type, locate and dedupe every report: the part each rerun pays before any chart."""
    names, categories, severities = lookups
    frame = pd.concat([pd.read_csv(f, sep=";", dtype=str) for f in files], ignore_index=True)
    frame = frame.drop_duplicates(subset=["source", "id"])
    lat = pd.to_numeric(frame["latitude"].str.replace(",", ".", regex=False), errors="coerce")
    lon = pd.to_numeric(frame["longitude"].str.replace(",", ".", regex=False), errors="coerce")
    when = pd.to_datetime(frame["date"], format="%d/%m/%Y %H:%M", errors="coerce")
    frame["when"] = when.fillna(pd.to_datetime(frame["date"], format="%Y-%m-%d %H:%M", errors="coerce"))
    frame["category"] = frame["categorie"].map(lambda c: categories.get(c, c))
    frame["severity"] = frame["gravite"].map(severities)
    has_point = lat.notna() & lon.notna()
    points = gpd.GeoDataFrame(
        {"row": frame.index[has_point]},
        geometry=gpd.points_from_xy(lon[has_point], lat[has_point]),
        crs=communes.crs,
    )
    joined = gpd.sjoin(points, communes[["commune_code", "geometry"]], how="left", predicate="within")
    joined = joined.drop_duplicates("row")
    code = pd.Series(None, index=frame.index, dtype=object)
    code[joined["row"].to_numpy()] = joined["commune_code"].to_numpy()
    by_name = frame["commune"].fillna(frame["lieu"]).str.upper().map(names)
    frame["commune_code"] = code.fillna(by_name)
    return frame


def map_aggregate(frame: pd.DataFrame, communes: gpd.GeoDataFrame) -> pd.DataFrame:
    per = frame.assign(w=frame["severity"].map(WEIGHTS)).groupby("commune_code").agg(
        n_incidents=("id", "size"), weighted=("w", "sum"), max_severity=("severity", "max"))
    out = communes[["commune_code", "commune", "population"]].merge(per, on="commune_code", how="left")
    out["rate_100k"] = out["n_incidents"].fillna(0) * 1e5 / out["population"]
    return out


def timeline_aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby([frame["when"].dt.floor("D"), "category"]).size().reset_index(name="n")


def overview(frame: pd.DataFrame, communes: gpd.GeoDataFrame) -> dict:
    now = frame["when"].max()
    kpis = {
        "n": len(frame),
        "last_24h": int((frame["when"] >= now - pd.Timedelta(hours=24)).sum()),
        "critical": int((frame["severity"] == 4).sum()),
        "communes": int(frame["commune_code"].nunique()),
    }
    latest = frame.nlargest(50, "when")
    return {"kpis": kpis, "map": map_aggregate(frame, communes), "latest": latest}


def run(files: list[Path], repeat: int) -> dict:
    pack = load_pack("benin")
    communes = gpd.read_file(pack.geojson_path)[["commune_code", "commune", "geometry"]]
    communes = communes.merge(pack.communes[["commune_code", "population"]], on="commune_code")
    lookups = _lookups(pack)
    timings: dict[str, list[float]] = {"load": [], "map": [], "timeline": [], "page": []}
    rows = located = 0
    for _ in range(repeat):
        # The map page: load everything, then aggregate per commune.
        t0 = time.perf_counter()
        frame = load(files, communes, lookups)
        t1 = time.perf_counter()
        map_aggregate(frame, communes)
        t2 = time.perf_counter()
        timings["load"].append(t1 - t0)
        timings["map"].append(t2 - t0)
        # The timeline page: read and parse again (a rerun), no locating needed for a national view.
        t0 = time.perf_counter()
        names, categories, severities = lookups
        tl = pd.concat([pd.read_csv(f, sep=";", dtype=str) for f in files], ignore_index=True)
        tl = tl.drop_duplicates(subset=["source", "id"])
        when = pd.to_datetime(tl["date"], format="%d/%m/%Y %H:%M", errors="coerce")
        tl["when"] = when.fillna(pd.to_datetime(tl["date"], format="%Y-%m-%d %H:%M", errors="coerce"))
        tl["category"] = tl["categorie"].map(lambda c: categories.get(c, c))
        timeline_aggregate(tl)
        timings["timeline"].append(time.perf_counter() - t0)
        del tl
        # The overview page: load, KPIs, map and latest incidents.
        t0 = time.perf_counter()
        frame = load(files, communes, lookups)
        overview(frame, communes)
        timings["page"].append(time.perf_counter() - t0)
        rows, located = len(frame), int(frame["commune_code"].notna().sum())
        del frame
    return {
        "median": {k: statistics.median(v) for k, v in timings.items()},
        "runs": timings,
        "rows": rows,
        "located": located,
        "peak_rss_bytes": _peak_rss(),
    }


def _peak_rss() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.naive")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    json.dump(run(args.files, args.repeat), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
