"""The sections of the daily report: each one a small function over one query of queries/, run through
the role's views (vigie.sql), returning plain data for the template (texts already translated and
formatted; the template only lays them out).

Every section receives the same `Frame` and takes from it the parameters its query declares, so a
section can be pointed at another query by changing its name only (see `QUERIES`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import pandas as pd

from vigie import sql
from vigie.filters import UNCATEGORISED, Filters
from vigie.fmt import fmt_date, fmt_datetime, fmt_int, fmt_signed, fmt_time
from vigie.report import mapsvg
from vigie.report.labels import text
from vigie.store import Store
from vigie.taxonomy import category_label, severity_label, status_label

log = logging.getLogger(__name__)

# The query behind each section. Alerts and claim verdicts come from other features: a section whose
# query file does not exist says so in the report instead of failing.
QUERIES = {
    "headline": "report_headline",
    "map": "map_by_commune",
    "by_area": "report_by_area",
    "notable": "report_notable",
    "rallies": "rallies_upcoming",
    "alerts": "alerts_open",
    "claims": "report_claims_day",
    "clock": "data_clock",
}
NOTABLE_ROWS = 20
RALLY_ROWS = 40
ALERT_ROWS = 30
CLAIM_ROWS = 20
TEXT_CHARS = 180
MATRIX_CATEGORIES = 5  # the day's most frequent categories get a column each; the rest are "other"


@dataclass(frozen=True)
class Frame:
    """Who the report is for and which day it covers, with the parameters every query may ask for."""

    store: Store
    role: str
    day: dt.date
    lang: str
    now: dt.datetime  # the situation room's clock (local time)
    extra: dict = field(default_factory=dict)

    @property
    def utc_offset(self) -> dt.timedelta:
        return dt.timedelta(hours=self.store.pack.utc_offset_hours)

    @property
    def press(self) -> bool:
        return self.role == "journalist"

    def params(self) -> dict:
        start = dt.datetime.combine(self.day, dt.time())
        return {
            **Filters(date_from=self.day, date_to=self.day).params(),
            "day": self.day,
            "utc_from": start - self.utc_offset,
            "utc_to": start + dt.timedelta(days=1) - self.utc_offset,
            "now": self.now,
            **self.extra,
        }

    def run(self, section: str, **extra) -> pd.DataFrame:
        """The section's query for this role, given the parameters it declares."""
        name = QUERIES[section]
        wanted = sql.load(name).params
        given = {k: v for k, v in (self.params() | extra).items() if k in wanted}
        return sql.run(self.store, self.role, name, given)

    def has(self, section: str) -> bool:
        return (sql.QUERIES_DIR / f"{QUERIES[section]}.sql").exists()

    def t(self, key: str, **values) -> str:
        return text(key, self.lang).format(**values) if values else text(key, self.lang)


def _short(value, limit: int = TEXT_CHARS) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _int(value) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


# -- sections ---------------------------------------------------------------------------------------
def headline(f: Frame) -> dict:
    rows = f.run("headline").set_index("day")
    today, before = rows.iloc[-1], rows.iloc[0]
    keys = ["incidents", "critical", "serious", "communes", "reports"] + ([] if f.press else ["to_verify"])
    figures = []
    for key in keys:
        value, previous = _int(today[f"n_{key}"]), _int(before[f"n_{key}"])
        figures.append({"label": f.t(f"kpi_{key}"), "value": fmt_int(value, f.lang), "raw": value,
                        "delta": fmt_signed(value - previous, f.lang), "trend": (value > previous) - (value < previous),
                        "before": f"({f.t('day_before')} {fmt_int(previous, f.lang)})"})
    offset = f.store.pack.utc_offset_hours
    return {"title": f.t("headline"), "figures": figures,
            "note": f.t("headline_note", offset=f"{offset:+g}" if offset else "")}


def commune_map(f: Frame) -> dict:
    by_commune = f.run("map")
    svg, legend = mapsvg.choropleth(f.store.pack.id, by_commune, f.lang)
    top = by_commune[by_commune["n_incidents"] > 0].sort_values(["n_incidents", "commune"], ascending=[False, True])
    return {
        "title": f.t("map"), "note": f.t("map_note"), "svg": svg,
        "legend": [{"colour": c, "label": label} for c, label in legend],
        "top_title": f.t("top_communes"), "empty": f.t("no_commune"),
        "top": [{"commune": r.commune, "departement": r.departement, "n": fmt_int(r.n_incidents, f.lang),
                 "critical": fmt_int(r.n_critical, f.lang)} for r in top.head(12).itertuples()],
        "header": [f.t("commune"), f.t("kpi_incidents"), f.t("kpi_critical")],
    }


def by_area(f: Frame) -> dict:
    cells = f.run("by_area")
    out = {"title": f.t("by_area"), "empty": f.t("no_incident"), "header": [], "rows": [], "total": []}
    if cells.empty:
        return out
    totals = cells.groupby("category")["n_incidents"].sum().sort_values(ascending=False, kind="stable")
    shown = list(totals.index[:MATRIX_CATEGORIES])
    cells["column"] = cells["category"].where(cells["category"].isin(shown), "_other")
    columns = shown + (["_other"] if len(totals) > len(shown) else [])
    names = {code: category_label(None if code == UNCATEGORISED else code, f.lang, short=True) for code in shown}
    names["_other"] = f.t("other_categories")
    out["header"] = [f.t("departement")] + [names[c] for c in columns] + [f.t("total"), f.t("of_which_critical")]
    departements = f.store.pack.communes[["departement_code", "departement"]].drop_duplicates()
    cells["departement_code"] = cells["departement_code"].fillna("_none")
    grid = cells.pivot_table(index="departement_code", columns="column", values="n_incidents", aggfunc="sum",
                             fill_value=0)
    critical = cells.groupby("departement_code")["n_critical"].sum()
    order = list(departements.sort_values("departement").itertuples(index=False, name=None))
    if "_none" in grid.index:
        order.append(("_none", f.t("unlocated")))
    for code, name in order:
        counts = [int(grid.at[code, c]) if code in grid.index and c in grid.columns else 0 for c in columns]
        out["rows"].append([name] + [fmt_int(n, f.lang) if n else "·" for n in counts]
                           + [fmt_int(sum(counts), f.lang), fmt_int(_int(critical.get(code)), f.lang)])
    column_totals = [int(grid[c].sum()) if c in grid.columns else 0 for c in columns]
    out["total"] = [f.t("total")] + [fmt_int(n, f.lang) for n in column_totals] + [
        fmt_int(sum(column_totals), f.lang), fmt_int(int(cells["n_critical"].sum()), f.lang)]
    return out


def notable(f: Frame) -> dict:
    rows = f.run("notable", limit=NOTABLE_ROWS)
    out = {"title": f.t("notable"), "note": f.t("notable_note_press" if f.press else "notable_note"),
           "empty": f.t("no_notable"), "more": "",
           "header": [f.t("col_when"), f.t("col_where"), f.t("col_category"), f.t("col_severity"),
                      f.t("col_status"), f.t("col_description"), f.t("col_reports"), f.t("col_why")],
           "rows": []}
    for r in rows.itertuples():
        when = fmt_time(r.occurred_local)
        if r.occurred_local.date() != f.day:
            when = fmt_datetime(r.occurred_local, f.lang)
        why = [f.t(key) for key, flag in (("why_critical", r.is_critical), ("why_escalated", r.escalated_today),
                                          ("why_verified", r.verified_today)) if flag]
        where = r.commune if isinstance(r.commune, str) else f.t("unlocated")
        out["rows"].append({
            "cells": [when, where, category_label(r.category, f.lang, short=True),
                      severity_label(None if pd.isna(r.severity) else int(r.severity), f.lang),
                      f.t("status_transmis") if r.status == "transmis" else status_label(r.status, f.lang),
                      _short(r.title), f"{_int(r.n_reports)}/{_int(r.n_sources)}",
                      ", ".join(why)],
            "severity": _int(r.severity),
        })
    if len(rows) and _int(rows["n_total"].iloc[0]) > len(rows):
        out["more"] = f.t("more_rows", n=fmt_int(_int(rows["n_total"].iloc[0]) - len(rows), f.lang))
    return out


def rallies(f: Frame) -> dict:
    from vigie.rallies import window_params

    rows = f.run("rallies", **window_params())
    header = [f.t("col_when"), f.t("col_party"), f.t("commune"), f.t("col_place"), f.t("col_attendance")]
    if not f.press:  # the press's view has neither protection nor unit
        header += [f.t("col_protection"), f.t("col_unit")]
    out = {"title": f.t("rallies_press" if f.press else "rallies"), "empty": f.t("no_rally"), "header": header,
           "rows": [], "more": "", "alert": ""}
    for r in rows.head(RALLY_ROWS).itertuples():
        cells = [fmt_time(r.starts_local), _short(r.party, 100), r.commune, _short(r.place, 80),
                 fmt_int(r.expected_attendance, f.lang)]
        if not f.press:
            status = r.protection_status if isinstance(r.protection_status, str) else "unknown"
            cells += [f.t(f"protection_{status}") if f"protection_{status}" in _PROTECTIONS else _short(status, 30),
                      _short(r.unit, 40)]
        out["rows"].append({"cells": cells, "unprotected": not f.press and r.protection_status != "accordee"})
    if len(rows) > RALLY_ROWS:
        out["more"] = f.t("more_rows", n=fmt_int(len(rows) - RALLY_ROWS, f.lang))
    if not f.press and len(rows):
        missing = int((rows["protection_status"].fillna("") != "accordee").sum())
        if missing:
            out["alert"] = f.t("rallies_unprotected", n=fmt_int(missing, f.lang))
    return out


_PROTECTIONS = {f"protection_{s}" for s in ("accordee", "demandee", "refusee", "aucune", "unknown")}
# Which column of an alerts query goes where: the first one present of each list.
ALERT_COLUMNS = {
    "when": ("raised_at", "opened_at", "since", "at_time", "created_at", "detected_at", "occurred_local"),
    "kind": ("kind_label", "kind", "rule", "type", "alert_type"),
    "where": ("commune", "commune_name", "departement", "commune_code"),
    "detail": ("detail", "message", "description", "title", "summary"),
    "level": ("severity", "level", "priority"),
}


def alerts(f: Frame) -> dict:
    out = {"title": f.t("alerts"), "empty": f.t("no_alert"), "header": [], "rows": [], "more": "", "note": ""}
    if not f.has("alerts"):
        out["note"] = f.t("alerts_unavailable")
        return out
    if f.role not in sql.load(QUERIES["alerts"]).roles:
        out["note"] = f.t("alerts_refused")
        return out
    rows = f.run("alerts", limit=ALERT_ROWS)
    picked = {slot: next((c for c in names if c in rows.columns), None) for slot, names in ALERT_COLUMNS.items()}
    slots = [s for s, c in picked.items() if c]
    labels = {"when": f.t("col_when"), "kind": f.t("col_category"), "where": f.t("col_where"),
              "detail": f.t("col_description"), "level": f.t("col_severity")}
    out["header"] = [labels[s] for s in slots]
    for r in rows.head(ALERT_ROWS).to_dict("records"):
        cells = []
        for slot in slots:
            value = r[picked[slot]]
            if isinstance(value, (pd.Timestamp, dt.datetime)):
                value = fmt_datetime(value, f.lang)
            cells.append(_short(value, 140))
        out["rows"].append({"cells": cells})
    if len(rows) > ALERT_ROWS:
        out["more"] = f.t("more_rows", n=fmt_int(len(rows) - ALERT_ROWS, f.lang))
    return out


def claims(f: Frame) -> dict:
    out = {"title": f.t("claims"), "empty": f.t("no_claim"), "rows": [], "more": "",
           "note": f.t("claims_note_first_seen") if QUERIES["claims"] == "report_claims_day" else "",
           "header": [f.t("col_platform"), f.t("col_claim"), f.t("col_verdict"), f.t("col_reach"), f.t("col_debunk")]}
    if not f.has("claims"):
        return out
    rows = f.run("claims", limit=CLAIM_ROWS)
    for r in rows.itertuples():
        key = f"verdict_{r.verdict}"
        verdict = f.t(key) if key in _VERDICTS else _short(r.verdict, 30)
        # Links are printed as text, never as clickable links.
        out["rows"].append({"cells": [_short(r.platform, 30), _short(r.text, 200), verdict,
                                      fmt_int(r.reach, f.lang), _short(r.debunk_url, 90)],
                            "verdict": str(r.verdict)})
    total = _int(rows["n_total"].iloc[0]) if len(rows) and "n_total" in rows.columns else len(rows)
    if total > len(rows):
        out["more"] = f.t("more_rows", n=fmt_int(total - len(rows), f.lang))
    return out


_VERDICTS = {f"verdict_{v}" for v in ("vrai", "faux", "trompeur", "invérifiable")}


def validity(f: Frame, generated: dt.datetime) -> dict:
    latest = f.run("clock")["latest"].iloc[0]
    as_of = f.now
    ongoing = as_of.date() <= f.day
    return {
        "title": f.t("validity"),
        "as_of": f"{f.t('valid_as_of')} {fmt_datetime(as_of, f.lang)}" + (f" ({f.t('day_ongoing')})" if ongoing else ""),
        "latest": fmt_datetime(latest, f.lang) if pd.notna(latest) else "—",
        "generated": f"{f.t('generated')} {fmt_datetime(generated, f.lang)}",
        "text": f.t("validity_text"),
        "day": fmt_date(f.day, f.lang),
    }


SECTIONS = {
    "headline": headline,
    "map": commune_map,
    "by_area": by_area,
    "notable": notable,
    "rallies": rallies,
    "alerts": alerts,
    "claims": claims,
}
