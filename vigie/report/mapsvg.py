"""The report's commune choropleth as a static SVG, drawn from the country pack's polygons.

No basemap, no network, no text inside the drawing (the legend is typeset beside it, so every word goes
through the document's fonts): only paths, with colours from vigie/choropleth.py like the live map.
Outlines are simplified once per pack, keeping shared edges shared, and projected with the cosine of
the middle latitude so that the country keeps its shape.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from vigie.choropleth import EMPTY, PALETTE, classify
from vigie.fmt import fmt_int
from vigie.geo import load_pack

WIDTH = 1000.0  # SVG user units; the document scales the drawing to its column


@dataclass(frozen=True)
class Outlines:
    communes: tuple[str, ...]  # SVG path data per commune, aligned with pack.communes
    departements: tuple[str, ...]
    width: float
    height: float


def _path(geometry, project) -> str:
    parts = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        for ring in [polygon.exterior, *polygon.interiors]:
            xy = project(np.asarray(ring.coords))
            if len(xy) < 3:
                continue
            parts.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in xy) + "Z")
    return "".join(parts)


@functools.lru_cache(maxsize=8)
def outlines(pack_id: str) -> Outlines:
    pack = load_pack(pack_id)
    xmin, ymin, xmax, ymax = pack.bounds()
    squeeze = math.cos(math.radians((ymin + ymax) / 2))
    scale = WIDTH / ((xmax - xmin) * squeeze)
    simplified = shapely.coverage_simplify(pack.geometries, max(xmax - xmin, ymax - ymin) / 900)

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack([(coords[:, 0] - xmin) * squeeze * scale, (ymax - coords[:, 1]) * scale])

    codes = pack.communes["departement_code"].to_numpy()
    departements = [shapely.union_all(simplified[codes == code]) for code in dict.fromkeys(codes)]
    return Outlines(
        communes=tuple(_path(g, project) for g in simplified),
        departements=tuple(_path(g, project) for g in departements),
        width=WIDTH,
        height=(ymax - ymin) * scale,
    )


def _hex(colour: tuple[int, int, int]) -> str:
    return "#%02x%02x%02x" % colour


def choropleth(pack_id: str, by_commune: pd.DataFrame, lang: str) -> tuple[str, list[tuple[str, str]]]:
    """(SVG text, legend as (colour, label) pairs) for `by_commune` (one row per commune of the pack, in
    the pack's order, with `commune_code` and `n_incidents`: queries/map_by_commune.sql)."""
    shapes = outlines(pack_id)
    pack = load_pack(pack_id)
    values = pack.communes[["commune_code"]].merge(by_commune[["commune_code", "n_incidents"]], how="left")
    classes, breaks = classify(values["n_incidents"])
    fills = [_hex(PALETTE[c]) if c >= 0 else _hex(EMPTY) for c in classes]
    body = [f'<path d="{d}" fill="{f}" stroke="#ffffff" stroke-width="0.8"/>'
            for d, f in zip(shapes.communes, fills) if d]
    body += [f'<path d="{d}" fill="none" stroke="#4b5563" stroke-width="1.8"/>' for d in shapes.departements if d]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-4 -4 {shapes.width + 8:.0f} {shapes.height + 8:.0f}" '
           f'width="{shapes.width + 8:.0f}" height="{shapes.height + 8:.0f}">' + "".join(body) + "</svg>")
    return svg, legend(breaks, int(classes.max(initial=-1)), lang)


def legend(breaks: list[float], top_class: int, lang: str) -> list[tuple[str, str]]:
    """Grey for zero, then one swatch per class drawn, labelled by its upper bound (as on the live map)."""
    items = [(_hex(EMPTY), "0")]
    for i, colour in enumerate(PALETTE[: top_class + 1]):
        if i < len(breaks):
            label = f"≤ {fmt_int(breaks[i], lang)}"
        else:
            label = f"> {fmt_int(breaks[-1], lang)}" if breaks else "> 0"
        items.append((_hex(colour), label))
    return items
