"""CAP 1.2 alerts (OASIS Common Alerting Protocol, `urn:oasis:names:tc:emergency:cap:1.2`).

A file holds one `<alert>` (the usual case), or several inside any wrapper element (an Atom feed of
alerts, a list): each `<alert>` is one record. Parsing is defused: a document with a DOCTYPE or an
entity declaration is refused before any parser sees it, so no entity expansion and no external
fetch can happen.

| Vigie field | CAP 1.2 |
|---|---|
| source | `cap` |
| source_ref | `identifier` (its `sender` kept in raw) |
| occurred_at | `info/onset`, else `info/effective`, else `sent` (CAP times carry their zone) |
| reported_at | `sent` |
| lat / lon | `area/circle` centre (`lat,lon radius`), else the mean of the `area/polygon` points |
| commune | `area/geocode` whose `valueName` is `commune` / `adm2`, else none |
| place | `area/areaDesc` |
| category | `info/event`, else `info/category` (CAP's own codes: `Safety`, `Security`, …) |
| severity | `info/severity`: Extreme 4, Severe 3, Moderate 2, Minor 1 |
| description | `info/headline` — `info/description` |
| language | `info/language` (first two letters) |
| reporter_contact | `sender` |

The French `info` block is used when the alert has several languages, else the first one.
Alerts whose `status` is `Test`, `Exercise` or `Draft`, and `msgType` `Cancel`, are quarantined
with that reason: they are not incidents.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pandas as pd

from vigie.ingest.feedtools import as_text, pick_category
from vigie.ingest.records import FeedError, Parsed, Rejection, frame_from_columns

SOURCE = "cap"
NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
_NS = {"cap": NAMESPACE}
_FORBIDDEN = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
SEVERITIES = {"extreme": "4", "severe": "3", "moderate": "2", "minor": "1"}
NOT_INCIDENTS = {"test": "alerte de test", "exercise": "alerte d'exercice", "draft": "brouillon d'alerte"}


def is_cap(text: str) -> bool:
    head = text.lstrip("\ufeff \r\n\t")[:4000]
    return head.startswith("<") and NAMESPACE in head and "alert" in head


def read(text: str, name: str = "") -> Parsed:
    body = text.lstrip("\ufeff \r\n\t")
    if _FORBIDDEN.search(body):
        raise FeedError("alerte CAP refusée : le XML déclare un DOCTYPE ou des entités (non autorisé)")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise FeedError(f"alerte CAP illisible : XML invalide ou coupé (ligne {line}, colonne {column})") from exc
    return read_root(root)


def has_alerts(root: ET.Element) -> bool:
    return root.tag == f"{{{NAMESPACE}}}alert" or root.find(f".//{{{NAMESPACE}}}alert") is not None


def read_root(root: ET.Element) -> Parsed:
    """The alerts of a document already parsed (by `read`, or by `vigie.ingest.xmlfeeds`)."""
    alerts = [root] if root.tag == f"{{{NAMESPACE}}}alert" else root.findall(f".//{{{NAMESPACE}}}alert")
    if not alerts:
        raise FeedError("fichier XML sans élément <alert> CAP 1.2")
    kept: list[tuple[int, dict]] = []
    rejections: list[Rejection] = []
    for pos, alert in enumerate(alerts, start=1):
        status = (_text(alert, "cap:status") or "").lower()
        kind = (_text(alert, "cap:msgType") or "").lower()
        xml_text = ET.tostring(alert, encoding="unicode")[:10_000]
        if status in NOT_INCIDENTS:
            rejections.append(Rejection(pos, "status", NOT_INCIDENTS[status], xml_text))
        elif kind == "cancel":
            rejections.append(Rejection(pos, "msgType", "annulation d'une alerte (msgType Cancel)", xml_text))
        else:
            kept.append((pos, _record(alert)))
    n = len(kept)
    columns = {field: [rec.get(field) for _, rec in kept] for field in (
        "source_ref", "occurred_at", "reported_at", "lat", "lon", "commune", "place", "category",
        "severity", "description", "language", "reporter_contact")}
    columns["source"] = [SOURCE] * n
    raw = pd.Series([json.dumps({"cap_xml": rec["_xml"]}, ensure_ascii=False) for _, rec in kept], dtype=object)
    return Parsed("cap-xml", frame_from_columns(columns, n, [p for p, _ in kept]), raw, len(alerts), rejections)


def _text(node: ET.Element, path: str) -> str | None:
    found = node.find(path, _NS)
    return as_text(found.text.strip()) if found is not None and found.text else None


def _record(alert: ET.Element) -> dict:
    infos = alert.findall("cap:info", _NS)
    info = next((i for i in infos if (_text(i, "cap:language") or "").lower().startswith("fr")), None)
    info = info if info is not None else (infos[0] if infos else ET.Element("info"))
    sent = _text(alert, "cap:sent")
    area = info.find("cap:area", _NS)
    lat = lon = commune = place = None
    if area is not None:
        place = _text(area, "cap:areaDesc")
        lat, lon = _point(area)
        for geocode in area.findall("cap:geocode", _NS):
            if (_text(geocode, "cap:valueName") or "").lower() in ("commune", "adm2", "admin2"):
                commune = _text(geocode, "cap:value")
    headline, description = _text(info, "cap:headline"), _text(info, "cap:description")
    event = _text(info, "cap:event")
    cap_categories = [c.text.strip() for c in info.findall("cap:category", _NS) if c.text]
    language = _text(info, "cap:language")
    return {
        "source_ref": _text(alert, "cap:identifier"),
        "occurred_at": _text(info, "cap:onset") or _text(info, "cap:effective") or sent,
        "reported_at": sent,
        "lat": lat, "lon": lon, "commune": commune, "place": place,
        "category": pick_category([event, *cap_categories]),
        "severity": SEVERITIES.get((_text(info, "cap:severity") or "").lower()),
        "description": " — ".join(t for t in (headline, description) if t) or event,
        "language": language[:2].lower() if language else None,
        "reporter_contact": _text(alert, "cap:sender"),
        "_xml": ET.tostring(alert, encoding="unicode"),
    }


def _point(area: ET.Element) -> tuple[str | None, str | None]:
    circle = _text(area, "cap:circle")
    if circle:
        centre = circle.split()[0].split(",")
        if len(centre) == 2:
            return centre[0], centre[1]
    polygon = _text(area, "cap:polygon")
    if polygon:
        try:
            points = [tuple(float(v) for v in pair.split(",")) for pair in polygon.split()]
        except ValueError:
            return None, None
        points = [p for p in points if len(p) == 2]
        if points:
            if len(points) > 1 and points[0] == points[-1]:
                points = points[:-1]
            return (f"{sum(p[0] for p in points) / len(points):.5f}", f"{sum(p[1] for p in points) / len(points):.5f}")
    return None, None


__all__ = ["is_cap", "has_alerts", "read", "read_root", "SOURCE", "NAMESPACE"]
