"""XML feeds: the reader is chosen from the document's root element (`READERS`, first match wins).

| document | reader | format |
|---|---|---|
| CAP 1.2 `<alert>`, or any wrapper holding some (an Atom feed of alerts) | `cap` | `cap-xml` |
| an XForm *definition* (`<h:html>` with a `<model>`: the blank form, not data) | refused, saying so | — |
| one XForm instance: any root with `meta/instanceID` (ODK Collect, Enketo, KoBo: `<data id="form_id">`, `orx:` namespace or not), or an `instanceID` attribute (ODK Briefcase's `submission.xml`, Aggregate) | `kobo`, through the form's mapping | `odk-xml`, `kobo-xml` |
| several instances: KoBo's API `<root><count/><next/><previous/><results>…</results></root>` (`/api/v2/assets/<uid>/data.xml`), its older `<root>…</root>`, ODK Aggregate's `<submission><data>…</data><mediaFile/></submission>`, any wrapper | idem, one record per instance | idem |
| any other XML | refused: one quarantined record with the reason | — |

An instance is read as the KoBo JSON submission it would be: the element path below the root is the
question path `group/question` the mapping names (namespaces dropped); an element repeated under the
same parent is a repeat group (`group_repeat: [{"group_repeat/question": …}, …]`). The root's `id` is
the form id (`_xform_id_string`, which chooses the mapping), `version` its `__version__`, and ODK's
`submissionDate` attribute the submission time (`reported_at`). In a wrapper, an element beside the
instances that is not one (no `meta/instanceID`) is a record too, quarantined with that reason.

Before any parser sees the text, a DOCTYPE or an entity declaration refuses the file, so no entity
expansion and no external fetch can happen (defusedxml is not a dependency: this is cap.py's guard).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from vigie.ingest import cap, kobo
from vigie.ingest.records import FeedError, Parsed, Rejection

_FORBIDDEN = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_HTML_PAGE = re.compile(r"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_START_TAG = re.compile(r"<[A-Za-z_][\w.:-]*")
XFORMS_NAMESPACE = "http://www.w3.org/2002/xforms"
RAW_LIMIT = 10_000  # characters of an instance's XML kept in raw and in quarantine


def is_xml(body: str) -> bool:
    """An XML declaration, a `<!…>`, or a start tag whose first line is not a CSV header (a spreadsheet
    whose first column is named `<b>…</b>` stays a CSV: its first line has separators and no final `>`)."""
    if body.startswith(("<?xml", "<!")):
        return True
    if not _START_TAG.match(body):
        return False
    first_line = body.split("\n", 1)[0].rstrip("\r ")
    return first_line.endswith(">") or not any(sep in first_line for sep in ";,\t|")


@dataclass(frozen=True)
class Reader:
    name: str
    accepts: Callable[[ET.Element], bool]
    read: Callable[[ET.Element, str, str | None], Parsed]  # (root, file name, inbox source tag)


def read(body: str, name: str = "", source_tag: str | None = None) -> Parsed:
    """The records of an XML file, or a FeedError (one quarantined record) saying why it is refused."""
    body = body.lstrip("\ufeff \r\n\t")
    what = "alerte CAP" if cap.is_cap(body) else "fichier XML"
    if _HTML_PAGE.match(body):  # a login or error page saved in place of the export
        raise FeedError("page HTML (page d'erreur ou de connexion ?) et non un fichier de données")
    if _FORBIDDEN.search(body):
        refused = "alerte CAP refusée" if cap.is_cap(body) else "fichier XML refusé"
        raise FeedError(f"{refused} : le XML déclare un DOCTYPE ou des entités (non autorisé)")
    try:
        root = ET.fromstring(body)
        reader = next((r for r in READERS if r.accepts(root)), None)
        if reader is None:
            raise FeedError(f"fichier XML non reconnu (élément racine « {_local(root.tag)} ») : ni alerte CAP 1.2, "
                            "ni soumission KoBo/ODK (aucun élément avec « meta/instanceID »)")
        return reader.read(root, name, source_tag)
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise FeedError(f"{what} illisible : XML invalide ou coupé (ligne {line}, colonne {column})") from exc
    except RecursionError as exc:
        raise FeedError("fichier XML illisible : éléments imbriqués trop profondément") from exc


# -- XForm definitions: the blank form, dropped by mistake ---------------------------------------


def _is_xform_definition(root: ET.Element) -> bool:
    return _local(root.tag) == "html" and root.find(f".//{{{XFORMS_NAMESPACE}}}model") is not None


def _refuse_definition(root: ET.Element, name: str, source_tag: str | None) -> Parsed:
    title = next((el.text.strip() for el in root.iter() if _local(el.tag) == "title" and el.text), "sans titre")
    raise FeedError(f"définition de formulaire XForm (« {title} ») et non des soumissions : déposez les "
                    "soumissions exportées (XML, JSON ou CSV), pas le formulaire")


# -- XForm instances (ODK Collect, Enketo, KoBo, ODK Briefcase / Aggregate) -----------------------


def is_instance(el: ET.Element) -> bool:
    if "instanceID" in el.attrib:
        return True
    return any(_local(child.tag) == "meta" and any(_local(g.tag) == "instanceID" for g in child) for child in el)


def _is_kobo_page(root: ET.Element) -> bool:
    return _local(root.tag) == "root" and any(_local(child.tag) == "results" for child in root)


def _holds_instances(root: ET.Element) -> bool:
    return bool(_items(root)) or _is_kobo_page(root)


def _items(root: ET.Element) -> list[ET.Element]:
    """The instances, with the elements beside them (each a record too): the root itself, or the children
    of every element that has an instance among its children, in document order."""
    if is_instance(root):
        return [root]
    if _is_kobo_page(root):
        results = next(child for child in root if _local(child.tag) == "results")
        return [child for child in results if isinstance(child.tag, str)]
    items: list[ET.Element] = []
    stack = [root]
    while stack:  # not recursive: a hostile file may nest elements 100,000 deep
        el = stack.pop()
        kids = [k for k in el if isinstance(k.tag, str)]
        if any(is_instance(k) for k in kids):
            items.extend(kids)
        else:
            stack.extend(reversed(kids))
    return items


def _read_instances(root: ET.Element, name: str, source_tag: str | None) -> Parsed:
    items = _items(root)
    rows: list[dict] = []
    positions: list[int] = []
    raw: list[str] = []
    rejections: list[Rejection] = []
    kobo_like = _is_kobo_page(root)
    for pos, el in enumerate(items, start=1):
        xml_text = ET.tostring(el, encoding="unicode")[:RAW_LIMIT]
        if not is_instance(el):
            rejections.append(Rejection(pos, None, f"élément « {_local(el.tag)} » sans « meta/instanceID » : "
                                        "ce n'est pas une soumission KoBo/ODK", xml_text))
            continue
        row = instance_row(el)
        kobo_like = kobo_like or "formhub/uuid" in row or "__version__" in row
        rows.append(row)
        positions.append(pos)
        raw.append(json.dumps({"xml": xml_text}, ensure_ascii=False))
    return kobo.parse_rows(rows, positions, pd.Series(raw, dtype=object), len(items), rejections,
                           name=name, source_tag=source_tag, kind="kobo" if kobo_like else "odk", shape="xml")


def instance_row(el: ET.Element) -> dict[str, object]:
    """One instance as KoBo's JSON would give it: `group/question` keys, repeats as lists of such dicts."""
    row: dict[str, object] = {}
    attrs = {_local(k): v for k, v in el.attrib.items()}
    if attrs.get("id"):
        row["_xform_id_string"] = attrs["id"]
    if attrs.get("version"):
        row["_form_version"] = attrs["version"]  # (KoBo also writes a <__version__> element)
    if attrs.get("submissionDate"):
        row["_submission_time"] = attrs["submissionDate"]
    row.update(_children(el, ""))
    if attrs.get("instanceID") and not row.get("meta/instanceID"):
        row["meta/instanceID"] = attrs["instanceID"]
    return row


def _children(el: ET.Element, prefix: str) -> dict[str, object]:
    by_tag: dict[str, list[ET.Element]] = {}
    for child in el:
        if isinstance(child.tag, str):
            by_tag.setdefault(_local(child.tag), []).append(child)
    out: dict[str, object] = {}
    for tag, kids in by_tag.items():
        path = f"{prefix}{tag}"
        if len(kids) > 1:  # a repeat group: one dict per instance, keyed by full path, as KoBo's JSON
            out[path] = [_children(k, f"{path}/") if len(k) else {path: _text(k)} for k in kids]
        elif len(kids[0]):
            out.update(_children(kids[0], f"{path}/"))
        else:
            out[path] = _text(kids[0])
    return out


def _text(el: ET.Element) -> str | None:
    text = (el.text or "").strip()
    return text or None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


READERS: list[Reader] = [
    Reader("cap", cap.has_alerts, lambda root, name, tag: cap.read_root(root)),
    Reader("xform-definition", _is_xform_definition, _refuse_definition),
    Reader("xform-instances", _holds_instances, _read_instances),
]


__all__ = ["READERS", "Reader", "is_xml", "is_instance", "instance_row", "read"]
