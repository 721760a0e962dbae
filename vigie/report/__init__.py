"""The daily situation report: one PDF per day and role scope, in French or English.

`build` runs the sections (vigie/report/sections.py: each one query of queries/, through the role's
views) and returns plain data; `render_pdf` typesets it with Typst (the `typst` package: a compiler in
the wheel, its fonts embedded, no network). The template (report.typ) is fixed: every value reaches it
as JSON through `sys.inputs` and is placed as a string, never read as markup, so a report text holding
`#`, `*`, `$`, `[`, `\\` or `<` is printed as it is — the document's equivalent of a bound parameter.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pandas as pd

from vigie import sql
from vigie.fmt import fmt_date_long
from vigie.geo import Pack
from vigie.report import sections
from vigie.report.labels import text
from vigie.store import ROLES, Store
from vigie.taxonomy import phase_label

log = logging.getLogger(__name__)
TEMPLATE = Path(__file__).with_name("report.typ")
LANGS = ("fr", "en")


class ReportError(Exception):
    """The report could not be produced (a bad request or a typesetting failure), with a reason to show."""


def clock(store: Store, role: str) -> dt.datetime:
    """The situation room's "now" in local time: the latest incident when replaying (VIGIE_CLOCK=data), else
    real time (like vigie.ui.data.clock, which caches the same query)."""
    if store.settings is not None and store.settings.clock == "data":
        latest = sql.run(store, role, "data_clock")["latest"].iloc[0]
        if pd.notna(latest):
            return latest.to_pydatetime()
    return local_now(store.pack)


def local_now(pack: Pack) -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) + dt.timedelta(hours=pack.utc_offset_hours)


def is_simulated(store: Store) -> bool:
    """Simulated data: the server runs the demo (VIGIE_DEMO=1), or the demo scenario was loaded into this
    database (vigie.demo.preload leaves a mark, so a report made later without VIGIE_DEMO says so too)."""
    if store.settings is not None and store.settings.demo:
        return True
    row = store.raw_cursor().execute("select value from main.meta where key = 'simulated'").fetchone()
    return bool(row and row[0] == "true")


def report_days(pack: Pack, today: dt.date) -> list[dt.date]:
    """The days a report can be asked for: the election profile's (pre-campaign to results), else the 30
    days up to today."""
    if pack.election:
        first, last = pack.election.start, pack.election.end
    else:
        first, last = today - dt.timedelta(days=30), today
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _heading(store: Store, role: str, day: dt.date, lang: str, simulated: bool) -> dict:
    pack = store.pack
    election = pack.election
    countdown = ""
    phase = ""
    if election:
        phase = phase_label(election.phase_of(day), lang) if election.phase_of(day) else ""
        gap = (day - election.election_day).days
        if gap == 0:
            countdown = text("day_of_election", lang)
        else:
            countdown = text("days_to_election" if gap < 0 else "days_after_election", lang).format(n=abs(gap))
    scope = {"admin": "scope_operator", "operator": "scope_operator"}.get(role, f"scope_{role}")
    return {
        "brand": text("brand", lang),
        "title": text("title", lang),
        "election": (election.name if lang == "fr" else election.name_en) if election else
                    (pack.name if lang == "fr" else pack.name_en),
        "day": fmt_date_long(day, lang),
        "phase": f"{text('phase', lang)} {phase}" if phase else "",
        "countdown": countdown,
        "scope": text(scope, lang),
        "simulated": text("simulated", lang) if simulated else "",
        "simulated_note": text("simulated_note", lang) if simulated else "",
        "page": text("page", lang),
    }


def build(store: Store, role: str, day: dt.date, lang: str = "fr", *, now: dt.datetime | None = None,
          simulated: bool | None = None, generated: dt.datetime | None = None) -> dict:
    """Everything the report shows for `role` on `day`, as plain data (texts translated and formatted)."""
    if lang not in LANGS:
        raise ReportError(f"Langue inconnue : {lang!r} (fr ou en)")
    if role not in ROLES:
        raise ReportError(f"Rôle inconnu : {role!r}")
    frame = sections.Frame(store, role, day, lang, now or clock(store, role))
    simulated = is_simulated(store) if simulated is None else simulated
    data = {"lang": lang, "heading": _heading(store, role, day, lang, simulated)}
    for name, section in sections.SECTIONS.items():
        try:
            data[name] = section(frame)
        except Exception:  # noqa: BLE001 - one broken section must not cost the whole report
            log.exception("report section %s failed (%s, %s)", name, role, day)
            data[name] = {"title": "", "failed": text("section_failed", lang)}
    data["validity"] = sections.validity(frame, generated or local_now(store.pack))
    data["heading"]["footer"] = f"{data['heading']['title']} — {fmt_date_long(day, lang)}"
    return data


def render_pdf(data: dict) -> bytes:
    """Typeset the report. Offline by construction: the template imports no package and uses only the fonts
    embedded in the typst wheel (system fonts are ignored, so every machine prints the same document)."""
    return _compile(data, format="pdf")


def render_png(data: dict, ppi: float = 110) -> list[bytes]:
    """Each page as a PNG (to look at a report without a PDF viewer)."""
    pages = _compile(data, format="png", ppi=ppi)
    return pages if isinstance(pages, list) else [pages]


def _compile(data: dict, **output):
    import typst

    try:
        return typst.compile(str(TEMPLATE), root=str(TEMPLATE.parent), ignore_system_fonts=True, font_paths=[],
                             sys_inputs={"data": json.dumps(data, ensure_ascii=False)}, **output)
    except typst.TypstError as exc:
        raise ReportError(f"Mise en page du rapport impossible : {exc.message} {exc.diagnostic}") from exc


def make_pdf(store: Store, role: str, day: dt.date, lang: str = "fr", **kwargs) -> bytes:
    return render_pdf(build(store, role, day, lang, **kwargs))


def file_name(day: dt.date, role: str, lang: str) -> str:
    return f"vigie-rapport-{day.isoformat()}-{role}-{lang}.pdf"
