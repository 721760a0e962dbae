"""The filters shared by every page, kept in the URL so that a view can be shared.

Values from the URL are untrusted: every one is checked against an allow-list or parsed, and
whatever does not fit is dropped. The SQL receives them only as bound parameters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from vigie.geo import Pack
from vigie.taxonomy import CATEGORIES, SEVERITIES, STATUSES

UNCATEGORISED = "non_categorise"
MAX_LIST = 200


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date  # inclusive
    phase: str | None = None
    departements: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    severities: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def params(self) -> dict:
        """The bound parameters of the `filtered(...)` macro that every dashboard query starts from."""
        return {
            "date_from": dt.datetime.combine(self.date_from, dt.time()),
            "date_to": dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time()),
            "departements": list(self.departements),
            "communes": list(self.communes),
            "categories": list(self.categories),
            "severities": list(self.severities),
            "statuses": list(self.statuses),
            "sources": list(self.sources),
        }

    def to_query_params(self) -> dict[str, str | list[str]]:
        out: dict[str, str | list[str]] = {}
        if self.phase:
            out["phase"] = self.phase
        else:
            out["du"] = self.date_from.isoformat()
            out["au"] = self.date_to.isoformat()
        for key, values in (("dep", self.departements), ("commune", self.communes), ("cat", self.categories),
                            ("grav", tuple(str(s) for s in self.severities)), ("statut", self.statuses),
                            ("source", self.sources)):
            if values:
                out[key] = list(values)
        return out

    def with_phase(self, pack: Pack, phase: str | None) -> "Filters":
        if pack.election and phase:
            for p in pack.election.phases:
                if p.code == phase:
                    return replace(self, phase=phase, date_from=p.start, date_to=p.end)
        return replace(self, phase=None)


def default_period(pack: Pack, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    if pack.election:
        return pack.election.start, pack.election.end
    today = today or dt.date.today()
    return today - dt.timedelta(days=30), today


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value][:MAX_LIST]


def _date(value, fallback: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(_as_list(value)[-1])
    except (ValueError, IndexError):
        return fallback


def from_query_params(qp: dict, pack: Pack, sources: set[str] | None = None) -> Filters:
    """Filters from URL parameters, dropping anything that is not a known value."""
    start, end = default_period(pack)
    date_from, date_to = _date(qp.get("du"), start), _date(qp.get("au"), end)
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    communes = set(pack.communes["commune_code"])
    departements = set(pack.communes["departement_code"])
    filters = Filters(
        date_from=date_from,
        date_to=date_to,
        departements=tuple(v for v in _as_list(qp.get("dep")) if v in departements),
        communes=tuple(v for v in _as_list(qp.get("commune")) if v in communes),
        categories=tuple(v for v in _as_list(qp.get("cat")) if v in CATEGORIES or v == UNCATEGORISED),
        severities=tuple(int(v) for v in _as_list(qp.get("grav")) if v.isdigit() and int(v) in SEVERITIES),
        statuses=tuple(v for v in _as_list(qp.get("statut")) if v in STATUSES),
        sources=tuple(v for v in _as_list(qp.get("source")) if sources is None or v in sources),
    )
    phase = _as_list(qp.get("phase"))
    return filters.with_phase(pack, phase[-1]) if phase else filters


__all__ = ["Filters", "UNCATEGORISED", "default_period", "from_query_params", "field"]
