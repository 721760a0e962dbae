"""Queries live in queries/<name>.sql, one SELECT each, named by the file stem.

A header says what the query is for and which roles may run it:

    -- Incidents per commune for the choropleth.
    -- roles: admin, operator, observer, journalist

Parameters are `$named` and always bound, never formatted in. `run` refuses a call whose parameters
differ from the placeholders, a role the header does not list, and any query that names the `main`
schema or a catalog (role scoping relies on every query reading through the role's own views).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pandas as pd

from vigie.config import QUERIES_DIR
from vigie.store import ROLES, Store

_NAME = re.compile(r"^[a-z0-9_]+$")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")
_STRING = re.compile(r"'(?:[^']|'')*'")
# The schemas a query may not name, and the catalogs (the DuckDB file is `vigie`, the DuckLake `lake`, DuckDB's
# own `memory`): `vigie.reports` would reach the table past the role's views as surely as `main.reports`.
_FORBIDDEN = re.compile(r"\b(main|system|temp|vigie|lake|memory)\s*\.", re.IGNORECASE)


class QueryError(Exception):
    """A query file is malformed or called wrongly (a programming error, never user input)."""


@dataclass(frozen=True)
class Query:
    name: str
    sql: str
    params: frozenset[str]
    roles: frozenset[str]
    doc: str


def names() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.sql"))


@functools.lru_cache(maxsize=None)
def load(name: str) -> Query:
    if not _NAME.match(name):
        raise QueryError(f"nom de requête invalide : {name!r}")
    path = QUERIES_DIR / f"{name}.sql"
    if not path.exists():
        raise QueryError(f"requête inconnue : {name}")
    text = path.read_text(encoding="utf-8")
    header = [line[2:].strip() for line in text.splitlines() if line.startswith("--")]
    roles_line = next((h for h in header if h.startswith("roles:")), None)
    if roles_line is None:
        raise QueryError(f"{path.name} : en-tête « -- roles: … » manquant")
    roles = frozenset(r.strip() for r in roles_line.split(":", 1)[1].split(",") if r.strip())
    if not roles <= set(ROLES):
        raise QueryError(f"{path.name} : rôles inconnus {sorted(roles - set(ROLES))}")
    code = _STRING.sub("''", _COMMENT.sub("", text))
    if _FORBIDDEN.search(code):
        raise QueryError(f"{path.name} : une requête lit les vues de son rôle, jamais main./system./temp.")
    doc = " ".join(h for h in header if not h.startswith("roles:"))
    return Query(name, text, frozenset(_PARAM.findall(code)), roles, doc)


def run(store: Store, role: str, name: str, params: dict | None = None, party: str | None = None) -> pd.DataFrame:
    """Run a query for a role (a party liaison: for its account's `party`) and return a DataFrame (fetched
    as Arrow, the fast path)."""
    query = load(name)
    if role not in query.roles:
        raise PermissionError(f"La requête {name} n'est pas permise au rôle {role}.")
    params = dict(params or {})
    given = set(params)
    if given != query.params:
        raise QueryError(
            f"{name} : paramètres manquants {sorted(query.params - given)}, en trop {sorted(given - query.params)}"
        )
    cur = store.cursor(role, party)
    try:
        table = cur.execute(query.sql, params).to_arrow_table()
    finally:
        cur.close()
    return table.to_pandas()
