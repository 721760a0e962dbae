"""Commune choropleth (pydeck GeoJsonLayer) drawn without internet.

No basemap by default: the deck points at a blank style served by Streamlit's static serving
(`map_style=None` would fall back to an online Carto style). pydeck tooltips render HTML, so no text
that reaches the tooltip can carry markup: `_esc` turns `<` and `>` into look-alike angle quotes.
It does not HTML-escape: Streamlit's deck chart already escapes every value it puts into an `html`
tooltip, and escaping here too showed entities on screen (`l&#x27;école`). The payload is one
feature per commune with simplified geometry, so its size does not depend on the number of incidents.
"""

from __future__ import annotations

import functools
import html
import json
import math
import os

import pandas as pd
import pydeck as pdk
import shapely

from vigie.choropleth import EMPTY, PALETTE, classify
from vigie.geo import Pack, load_pack
from vigie.taxonomy import CATEGORY_COLORS, category_label, severity_label

BLANK_STYLE = "app/static/blank-style.json"
# Located incidents drawn as points: the most recent ones only, with a short text, so that the map
# payload stays under 300 KB whatever the number of incidents (the choropleth itself is ~100 KB).
MAX_POINTS = 1000
PAYLOAD_BUDGET = 280_000  # bytes of deck JSON: points beyond it are left out, oldest first
POINT_TEXT = 60
COORD_DIGITS = 4
GEOMETRY_BUDGET = 180_000  # bytes of commune outlines in the payload  # about 10 m: far finer than the 500 m generalisation of the boundaries


@functools.lru_cache(maxsize=8)
def commune_features(pack_id: str) -> tuple[str, ...]:
    """Simplified commune geometries as GeoJSON text, one per commune, aligned with pack.communes."""
    pack = load_pack(pack_id)
    xmin, ymin, xmax, ymax = pack.bounds()
    tolerance = max(xmax - xmin, ymax - ymin) / 2500
    for _ in range(8):
        # Coverage simplification keeps shared edges shared (no gaps between communes).
        simplified = shapely.coverage_simplify(pack.geometries, tolerance)
        features = tuple(shapely.to_geojson(shapely.set_precision(simplified, 10**-COORD_DIGITS)))
        if sum(map(len, features)) <= GEOMETRY_BUDGET:
            break
        tolerance *= 1.6  # a country with many communes (Mali: 701) is drawn coarser
    return features


class CompactDeck(pdk.Deck):
    """A deck serialised without indentation: pydeck indents by two spaces, which more than doubles
    the map payload sent to the browser on every refresh."""

    def to_json(self) -> str:
        from pydeck.bindings.json_tools import default_serialize

        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def basemap_style() -> str | None:
    """The blank local style, or an online basemap when VIGIE_BASEMAP_URL is set (an option)."""
    return os.environ.get("VIGIE_BASEMAP_URL") or BLANK_STYLE


def _esc(value) -> str:
    """Tooltip text that cannot open a tag in any renderer, and shows right in Streamlit's.

    Streamlit (pinned 1.67) HTML-escapes each `{placeholder}` value of an `html` tooltip itself
    (`&<>"'`), so escaping here as well displayed `&lt;`, `&#x27;`... With no `<` or `>` left, the
    text cannot make markup even where values are not escaped (pydeck's own HTML export); `&` and
    quotes are harmless in element text. The browser test checks the tooltip shows the text as is.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).replace("<", "\u2039").replace(">", "\u203a")


def choropleth_geojson(pack: Pack, by_commune: pd.DataFrame, measure: str, value_labels: dict[str, str],
                       lang: str) -> dict:
    """GeoJSON FeatureCollection with escaped display properties and a fill colour per commune."""
    geometries = dict(zip(pack.communes["commune_code"], commune_features(pack.id)))
    classes, _ = classify(by_commune[measure])
    features = []
    for (_, row), cls in zip(by_commune.iterrows(), classes):
        colour = PALETTE[cls] if cls >= 0 else EMPTY
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(geometries[row["commune_code"]]),
                "properties": {
                    "commune_code": row["commune_code"],
                    "commune": _esc(row["commune"]),
                    "departement": _esc(row["departement"]),
                    "value": _esc(value_labels.get(row["commune_code"], "")),
                    "latest": _esc(row.get("latest_title")),
                    "severity": _esc(severity_label(row["max_severity"], lang)
                                     if pd.notna(row.get("max_severity")) else ""),
                    "fill": [*colour, 210],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def tooltip(lang: str) -> dict:
    latest = "Dernier incident" if lang == "fr" else "Latest incident"
    worst = "Gravité maximale" if lang == "fr" else "Highest severity"
    return {
        # Placeholders are filled from the properties above (no `<`/`>`), escaped again by Streamlit.
        "html": (
            "<b>{commune}</b> <span style='opacity:.7'>({departement})</span><br/>{value}<br/>"
            f"<span style='opacity:.7'>{worst} :</span> {{severity}}<br/>"
            f"<span style='opacity:.7'>{latest} :</span> <i>{{latest}}</i>"
        ),
        "style": {"backgroundColor": "#1f2937", "color": "white", "fontSize": "12px", "maxWidth": "320px"},
    }


def view_state(pack: Pack) -> pdk.ViewState:
    xmin, ymin, xmax, ymax = pack.bounds()
    extent = max(xmax - xmin, (ymax - ymin) * 1.3)
    zoom = max(3.5, min(9.0, math.log2(360 / extent) - 0.4))
    return pdk.ViewState(latitude=(ymin + ymax) / 2, longitude=(xmin + xmax) / 2, zoom=zoom, pitch=0)


def points_layer(points: pd.DataFrame, lang: str) -> pdk.Layer:
    frame = pd.DataFrame(
        {
            "lat": points["lat"],
            "lon": points["lon"],
            "color": [[*_hex_rgb(CATEGORY_COLORS.get(c or "autre", "#888888")), 230] for c in points["category"]],
            "radius": points["severity"].fillna(1).astype(float) * 350,
            "commune": [_esc(category_label(c, lang, short=True)) for c in points["category"]],
            "departement": [_esc(f"{ts:%d/%m %H:%M}") for ts in points["occurred_local"]],
            "value": [_esc(severity_label(s, lang) if pd.notna(s) else "") for s in points["severity"]],
            "latest": [_esc(_short(v)) for v in points["title"]],
            "severity": [""] * len(points),
        }
    )
    return pdk.Layer(
        "ScatterplotLayer", id="incidents", data=frame, get_position=["lon", "lat"], get_fill_color="color",
        get_radius="radius", radius_min_pixels=3, radius_max_pixels=14, pickable=True, stroked=True,
        get_line_color=[255, 255, 255], line_width_min_pixels=1,
    )


def _short(text) -> str | None:
    if not isinstance(text, str):
        return None
    return text if len(text) <= POINT_TEXT else text[: POINT_TEXT - 1] + "…"


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def choropleth_deck(pack: Pack, geojson: dict, lang: str, points: pd.DataFrame | None = None,
                    height: int = 560) -> tuple[pdk.Deck, int]:
    """The commune map, with the newest of `points` that fit the payload budget; (deck, points drawn)."""
    layers = [
        pdk.Layer(
            "GeoJsonLayer", id="communes", data=geojson, get_fill_color="properties.fill",
            get_line_color=[120, 120, 120, 200], line_width_min_pixels=0.6, stroked=True, filled=True,
            pickable=True, auto_highlight=True, highlight_color=[30, 64, 175, 90],
        )
    ]

    def deck(shown: pd.DataFrame | None) -> CompactDeck:
        return CompactDeck(
            layers=layers + ([points_layer(shown, lang)] if shown is not None and len(shown) else []),
            initial_view_state=view_state(pack),
            map_style=basemap_style(),
            map_provider=None if basemap_style() == BLANK_STYLE else "carto",
            tooltip=tooltip(lang),
            height=height,
        )

    built = deck(points)
    if points is None or not len(points):
        return built, 0
    # Points (newest first) are cut to what fits the payload budget: long titles weigh more.
    base = None
    for _ in range(3):
        size = len(built.to_json().encode())
        if size <= PAYLOAD_BUDGET:
            break
        base = base or len(deck(None).to_json().encode())
        keep = int(len(points) * (PAYLOAD_BUDGET - base) / max(size - base, 1) * 0.97)
        points = points.head(max(keep, 0))
        built = deck(points)
    return built, len(points)


def legend_html(breaks: list[float], fmt) -> str:
    """A small legend: grey for zero, then one swatch per class, labelled by its upper bound."""
    def swatch(colour) -> str:
        return (f"<span style='background:rgb{colour};width:14px;height:14px;display:inline-block;"
                "border:1px solid #bbb;vertical-align:middle'></span>&nbsp;")

    items = [swatch(EMPTY) + "0"]
    for i, colour in enumerate(PALETTE[: len(breaks) + 1]):
        bound = f"≤ {fmt(breaks[i])}" if i < len(breaks) else f"&gt; {fmt(breaks[-1])}" if breaks else "&gt; 0"
        items.append(swatch(colour) + html.escape(bound).replace("&amp;gt;", "&gt;"))
    return "<div style='font-size:0.85rem;display:flex;gap:12px;flex-wrap:wrap'>" + "".join(
        f"<span>{item}</span>" for item in items) + "</div>"


# -- drawing in a page -------------------------------------------------------------------------
def render_commune_map(ctx, measure: str = "n_incidents", show_points: bool = False, height: int = 560,
                       key: str = "map"):
    """Draw the choropleth for the page context; returns the selected commune code, if any."""
    import streamlit as st

    from vigie.ui.context import load
    from vigie.ui.i18n import fmt_float, fmt_int, lang, t

    by_commune = load(ctx, "map_by_commune")
    if measure == "rate_100k":
        labels = {c: f"{fmt_float(v, 1)} {t('measure_rate').lower()}" if pd.notna(v) else "—"
                  for c, v in zip(by_commune["commune_code"], by_commune["rate_100k"])}
        fmt = lambda v: fmt_float(v, 1)  # noqa: E731
    else:
        def count_label(v) -> str:
            if measure != "n_incidents":
                return f"{fmt_int(v)} {t('measure_weighted').lower()}"
            singular = v == 1 or (v == 0 and lang() == "fr")  # « 1 incident », « 0 incident »
            return f"{fmt_int(v)} {'incident' if singular else t('incidents_word')}"

        labels = {c: count_label(v) for c, v in zip(by_commune["commune_code"], by_commune[measure])}
        fmt = fmt_int
    points = None
    if show_points and ctx.sees_exact_locations:
        points = load(ctx, "map_points", limit=MAX_POINTS)
    geojson = choropleth_geojson(ctx.pack, by_commune, measure, labels, lang())
    deck, shown = choropleth_deck(ctx.pack, geojson, lang(), points, height)
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key=key,
                            width="stretch")
    if points is not None and shown < len(points):
        st.caption(t("points_shown").format(n=fmt_int(shown)))
    _, breaks = classify(by_commune[measure])
    st.markdown(legend_html(breaks, fmt), unsafe_allow_html=True)
    try:
        picked = event.selection["objects"].get("communes") or []
    except (AttributeError, KeyError, TypeError):
        picked = []
    if picked:
        return picked[0].get("properties", {}).get("commune_code")
    return None


def location_deck(pack: Pack, commune_code: str | None, lat: float | None, lon: float | None,
                  height: int = 260) -> pdk.Deck:
    """A small offline map of one incident: its commune outlined, and its point when known."""
    codes = pack.communes["commune_code"].tolist()
    geometries = commune_features(pack.id)
    features = [
        {"type": "Feature", "geometry": json.loads(g),
         "properties": {"fill": [30, 64, 175, 70] if c == commune_code else [236, 236, 236, 160]}}
        for c, g in zip(codes, geometries)
    ]
    layers = [pdk.Layer("GeoJsonLayer", id="communes", data={"type": "FeatureCollection", "features": features},
                        get_fill_color="properties.fill", get_line_color=[150, 150, 150], line_width_min_pixels=0.5)]
    centre = view_state(pack)
    if lat is not None and lon is not None and not (pd.isna(lat) or pd.isna(lon)):
        layers.append(pdk.Layer("ScatterplotLayer", id="incident", data=[{"lat": lat, "lon": lon}],
                                get_position=["lon", "lat"], get_fill_color=[185, 28, 28, 230],
                                radius_min_pixels=6, get_radius=300))
        centre = pdk.ViewState(latitude=lat, longitude=lon, zoom=9)
    elif commune_code in codes:
        row = pack.communes.set_index("commune_code").loc[commune_code]
        centre = pdk.ViewState(latitude=row["lat"], longitude=row["lon"], zoom=8.5)
    return CompactDeck(layers=layers, initial_view_state=centre, map_style=basemap_style(),
                    map_provider=None if basemap_style() == BLANK_STYLE else "carto", height=height)


# -- rallies (Meetings page) ---------------------------------------------------------------------
PROTECTION_COLORS = {
    "accordee": (22, 163, 74), "demandee": (217, 119, 6), "refusee": (220, 38, 38), "aucune": (107, 114, 128),
    None: (37, 99, 235),  # not given (and every rally of the press's view, which has no status)
}
RALLY_SPREAD = 0.018  # degrees: rallies of one commune are drawn around its centre, not on top of each other


def rally_points(rallies: pd.DataFrame, labels: dict[str | None, str]) -> pd.DataFrame:
    """One marker per rally, coloured by protection status, with tooltip texts that carry no markup.
    Rallies of the same commune sit on a small spiral around its centre (a stable place per rally)."""
    rank = rallies.groupby("commune_code").cumcount().to_numpy()
    angle, radius = rank * 2.39996, RALLY_SPREAD * (rank ** 0.5)
    status = [s if isinstance(s, str) else None for s in rallies["protection_status"]]
    return pd.DataFrame({
        "lat": rallies["lat"].to_numpy() + radius * pd.Series(angle).map(math.sin).to_numpy(),
        "lon": rallies["lon"].to_numpy() + radius * pd.Series(angle).map(math.cos).to_numpy(),
        "color": [[*PROTECTION_COLORS.get(s, PROTECTION_COLORS[None]), 235] for s in status],
        "party": [_esc(_short(p)) for p in rallies["party"]],
        "when": [_esc(f"{ts:%d/%m %H:%M}") for ts in rallies["starts_local"]],
        "place": [_esc(_short(" — ".join(str(v) for v in (c, p) if isinstance(v, str))))
                  for c, p in zip(rallies["commune"], rallies["place"])],
        "status": [_esc(labels.get(s, "")) for s in status],
    })


def rallies_deck(pack: Pack, rallies: pd.DataFrame, labels: dict[str | None, str], height: int = 480) -> pdk.Deck:
    """The communes outlined, and the rallies as markers; `labels` names each protection status (empty for
    the press, whose view has none)."""
    geometries = commune_features(pack.id)
    outline = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(g), "properties": {}} for g in geometries]}
    layers = [
        pdk.Layer("GeoJsonLayer", id="communes", data=outline, get_fill_color=[243, 244, 246, 200],
                  get_line_color=[150, 150, 150, 200], line_width_min_pixels=0.5, stroked=True, filled=True),
        pdk.Layer("ScatterplotLayer", id="rallies", data=rally_points(rallies, labels), get_position=["lon", "lat"],
                  get_fill_color="color", get_radius=2500, radius_min_pixels=5, radius_max_pixels=12, pickable=True,
                  stroked=True, get_line_color=[255, 255, 255], line_width_min_pixels=1),
    ]
    tip = {"html": "<b>{party}</b><br/>{when} · {place}<br/>{status}",
           "style": {"backgroundColor": "#1f2937", "color": "white", "fontSize": "12px", "maxWidth": "320px"}}
    return CompactDeck(layers=layers, initial_view_state=view_state(pack), map_style=basemap_style(),
                       map_provider=None if basemap_style() == BLANK_STYLE else "carto", tooltip=tip, height=height)
