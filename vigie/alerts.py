"""Early warning: a registry of rules, each a query in queries/alert_*.sql, evaluated on a timer.

A rule returns the causes that hold now, each with a stable key (`commune_surge:<commune>`,
`unassigned_critical:<incident>`, ...). An evaluation pass raises an alert for every cause without an
alert that holds, and clears (an `alert_events` row) the alerts whose cause no longer holds: the same
cause is not raised again until the situation has changed. Operators acknowledge alerts with a note.
Every write is insert-only (ids from `store.next_ids`), under the store's write lock, held only for
the inserts: a pass never makes ingestion wait for its queries, and never for a notification.

Settings (environment):

| variable | default | meaning |
|---|---|---|
| VIGIE_ALERT_SECONDS | 30 | seconds between two passes of the server's alert thread; 0: no thread |
| VIGIE_ALERT_UNASSIGNED_MINUTES | 30 | a critical incident without a unit for longer raises an alert |
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import threading
from dataclasses import dataclass, field
from typing import Callable

import duckdb
import pandas as pd

from vigie import sql
from vigie.fmt import fmt_float
from vigie.auth import User
from vigie.config import QUERIES_DIR, Settings
from vigie.store import Store

log = logging.getLogger(__name__)

ACTING_ROLES = ("admin", "operator")
RULE_ROLE = "operator"  # the rules read every incident, as an operator does

# Rule 1, communes above their own baseline (see README "Alertes"): a one-sided Poisson test.
MIN_COUNT = 3
P_MAX = 0.001
MIN_HISTORY_DAYS = 3  # fewer days of campaign behind the window: the baseline starts with the election period
UNASSIGNED_LOOKBACK_HOURS = 72
RALLY_HORIZON_HOURS = 48


class AlertError(Exception):
    """An action on an alert that cannot be done, with the message for the operator."""


@dataclass(frozen=True)
class Cause:
    rule: str
    key: str
    title: str  # French
    title_en: str
    commune_code: str | None = None
    subject_id: int | None = None
    detail: dict = field(default_factory=dict)


# -- the statistics -------------------------------------------------------------------------------
def poisson_sf(n: int, mu: float) -> float:
    """P(X >= n) for X ~ Poisson(mu): the chance of seeing at least n incidents when mu are expected."""
    if n <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    # 1 - P(X <= n-1), summed in log space; for n far above mu the upper tail is summed directly (no
    # cancellation), a few hundred terms at most before they vanish.
    if n > mu:
        log_term = -mu + n * math.log(mu) - math.lgamma(n + 1)
        total, k = 0.0, n
        while True:
            term = math.exp(log_term)
            total += term
            if term < total * 1e-15 or k > n + 10_000:
                return min(1.0, total)
            k += 1
            log_term += math.log(mu) - math.log(k)
    below = sum(math.exp(-mu + k * math.log(mu) - math.lgamma(k + 1)) for k in range(n))
    return max(0.0, 1.0 - below)


def history_start(pack, window_start: dt.datetime) -> dt.datetime | None:
    """The first day of the baseline: the campaign's first day, or the election period's when the window
    starts less than MIN_HISTORY_DAYS into the campaign; None without an election profile."""
    election = pack.election
    if election is None:
        return None
    campaign = next((p.start for p in election.phases if p.code == "campagne"), election.start)
    start = dt.datetime.combine(campaign, dt.time())
    if (window_start - start).total_seconds() < MIN_HISTORY_DAYS * 86400:
        start = dt.datetime.combine(election.start, dt.time())
    return start


def surge_causes(counts: pd.DataFrame, now: dt.datetime, history_from: dt.datetime,
                 min_count: int = MIN_COUNT, p_max: float = P_MAX) -> list[Cause]:
    """Rule 1 on the per-commune counts of queries/alert_commune_surge.sql."""
    history_days = (now - dt.timedelta(hours=24) - history_from).total_seconds() / 86400
    if history_days <= 0:
        return []  # no day behind the window to compare with
    today_fraction = max((now - now.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds() / 86400,
                         1 / 24)  # at least an hour: three incidents at 00:05 compare with an hour's worth
    causes = []
    for row in counts.itertuples(index=False):
        own = row.n_history > 0
        # A commune without history takes its département's incidents per commune; if the département has
        # none either, half an incident over the history (a count of zero estimates a rate of zero, which
        # would make any single incident infinitely surprising).
        history = row.n_history if own else float(row.departement_history_per_commune or 0)
        rate = max(history, 0.5) / history_days  # incidents per day
        tests = [("24h", int(row.n_24h), rate), ("jour", int(row.n_today), rate * today_fraction)]
        flagged = [(window, n, mu, poisson_sf(n, mu)) for window, n, mu in tests if n >= min_count]
        flagged = [f for f in flagged if f[3] < p_max]
        if not flagged:
            continue
        window, n, mu, p = min(flagged, key=lambda f: f[3])
        span_fr = "en 24 h" if window == "24h" else "aujourd'hui"
        span_en = "in 24 h" if window == "24h" else "today"
        base_fr = "sa moyenne" if own else "la moyenne de son département"
        base_en = "its average" if own else "its département's average"
        causes.append(Cause(
            "commune_surge", f"commune_surge:{row.commune_code}",
            f"{row.commune} : {n} incidents {span_fr}, {base_fr} en attendait {fmt_float(mu, 1, 'fr')}",
            f"{row.commune}: {n} incidents {span_en}, {base_en} predicts {mu:.1f}",
            commune_code=row.commune_code,
            detail={"window": window, "observed": n, "expected": round(mu, 3), "p_value": p,
                    "n_24h": int(row.n_24h), "n_today": int(row.n_today), "history_incidents": int(row.n_history),
                    "history_days": round(history_days, 2), "baseline": "commune" if own else "departement"},
        ))
    return causes


# -- the rules --------------------------------------------------------------------------------------
def rule_commune_surge(store: Store, now: dt.datetime) -> list[Cause]:
    history_from = history_start(store.pack, now - dt.timedelta(hours=24))
    if history_from is None:
        return []
    counts = sql.run(store, RULE_ROLE, "alert_commune_surge",
                     {"now": now, "history_from": history_from, "min_count": MIN_COUNT})
    return surge_causes(counts, now, history_from)


def unassigned_minutes() -> int:
    try:
        return max(1, int(os.environ.get("VIGIE_ALERT_UNASSIGNED_MINUTES", "30")))
    except ValueError:
        log.warning("VIGIE_ALERT_UNASSIGNED_MINUTES is not a whole number; 30 used")
        return 30


def rule_unassigned_critical(store: Store, now: dt.datetime) -> list[Cause]:
    minutes = unassigned_minutes()
    rows = sql.run(store, RULE_ROLE, "alert_unassigned_critical",
                   {"older_than": now - dt.timedelta(minutes=minutes),
                    "since": now - dt.timedelta(hours=UNASSIGNED_LOOKBACK_HOURS)})
    causes = []
    for row in rows.itertuples(index=False):
        age = int((now - row.occurred_local).total_seconds() // 60)
        where = row.commune or "commune inconnue"
        causes.append(Cause(
            "unassigned_critical", f"unassigned_critical:{row.incident_id}",
            f"Incident critique n° {row.incident_id} ({where}) sans unité depuis {age} min",
            f"Critical incident no. {row.incident_id} ({row.commune or 'unknown commune'}) without a unit for {age} min",
            commune_code=row.commune_code, subject_id=int(row.incident_id),
            detail={"minutes": age, "threshold_minutes": minutes, "status": row.status, "category": row.category},
        ))
    return causes


def rule_rally_unprotected(store: Store, now: dt.datetime) -> list[Cause]:
    rows = sql.run(store, RULE_ROLE, "alert_rallies_unprotected",
                   {"now": now, "until": now + dt.timedelta(hours=RALLY_HORIZON_HOURS)})
    causes = []
    for row in rows.itertuples(index=False):
        status = row.protection_status if isinstance(row.protection_status, str) else None
        when = row.starts_local.strftime("%d/%m %H:%M")
        causes.append(Cause(
            "rally_unprotected", f"rally_unprotected:{row.rally_id}",
            f"Meeting {row.party} à {row.commune} le {when} sans protection accordée ({status or 'non demandée'})",
            f"{row.party} rally in {row.commune} on {when} without granted protection ({status or 'not requested'})",
            commune_code=row.commune_code, subject_id=int(row.rally_id),
            detail={"party": row.party, "starts_local": row.starts_local.isoformat(), "protection_status": status},
        ))
    return causes


def rule_claim_spreading(store: Store, now: dt.datetime) -> list[Cause] | None:
    """The claims feature's query, when it is there (None: the rule does not run, nothing is cleared)."""
    if not (QUERIES_DIR / "claims_spreading.sql").exists():
        return None
    # That query's clock is UTC (claim sightings are timed in UTC), the situation room's is local.
    utc_now = now - dt.timedelta(hours=store.pack.utc_offset_hours)
    rows = sql.run(store, RULE_ROLE, "claims_spreading", {"now": utc_now})
    causes = []
    for row in rows.to_dict("records"):
        text = str(row.get("text") or row.get("platform") or "")[:80]
        reach = row.get("reach_now", row.get("reach"))
        extra = f" (portée {int(reach)})" if isinstance(reach, (int, float)) and not pd.isna(reach) else ""
        causes.append(Cause(
            "claim_spreading", f"claim_spreading:{int(row['claim_id'])}",
            f"Rumeur qui se propage vite : {text}{extra}",
            f"Claim spreading fast: {text}{extra.replace('portée', 'reach')}",
            subject_id=int(row["claim_id"]),
            detail={k: (None if pd.isna(v) else v) for k, v in row.items()
                    if isinstance(v, (int, float, str)) and k != "text"},
        ))
    return causes


# A rule returns its causes, or None when it did not run (its alerts then stay as they are).
RULES: dict[str, Callable[[Store, dt.datetime], list[Cause] | None]] = {
    "commune_surge": rule_commune_surge,
    "unassigned_critical": rule_unassigned_critical,
    "rally_unprotected": rule_rally_unprotected,
    "claim_spreading": rule_claim_spreading,
}


# -- evaluating -------------------------------------------------------------------------------------
def situation_now(store: Store) -> dt.datetime:
    """The situation room's clock in local time (as vigie/ui/data.py clock): real time, or the latest
    incident when the server replays past data (VIGIE_CLOCK=data)."""
    settings = store.settings
    if settings is not None and settings.clock == "data":
        latest = sql.run(store, RULE_ROLE, "data_clock")["latest"].iloc[0]
        if pd.notna(latest):
            return latest.to_pydatetime()
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=store.pack.utc_offset_hours)


@dataclass(frozen=True)
class PassResult:
    raised: list[int]
    cleared: list[int]
    failed_rules: list[str]


def evaluate(store: Store, now: dt.datetime | None = None, notify_config=None) -> PassResult:
    """One pass: run every rule, raise the new causes, clear the ended ones, queue one grouped notification
    for what was raised."""
    from vigie import notify

    now = now or situation_now(store)
    causes: dict[str, Cause] = {}
    ran: set[str] = set()
    failed = []
    for name, rule in RULES.items():
        try:
            found = rule(store, now)
        except Exception:  # noqa: BLE001 - one broken rule must not silence the others
            log.exception("alert rule %s failed", name)
            failed.append(name)
            continue
        if found is None:
            continue
        ran.add(name)
        causes.update((c.key, c) for c in found)
    active = sql.run(store, RULE_ROLE, "alerts_active")
    holding = set(active["cause_key"])
    new = [c for key, c in causes.items() if key not in holding]
    ended = [int(a) for a, rule, key in active.itertuples(index=False) if rule in ran and key not in causes]
    if not new and not ended:
        return PassResult([], [], failed)
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    config = notify_config if notify_config is not None else notify.NotifyConfig.from_env()
    def write(cur) -> list[int]:
        ids = store.next_ids("alert_seq", len(new), cur)
        if new:
            frame = pd.DataFrame({
                "alert_id": ids, "raised_at": at, "situation_at": now,
                "rule": [c.rule for c in new], "cause_key": [c.key for c in new],
                "commune_code": [c.commune_code for c in new],
                "subject_id": pd.array([c.subject_id for c in new], dtype="Int64"),
                "title": [c.title for c in new], "title_en": [c.title_en for c in new],
                "detail": [json.dumps(c.detail, ensure_ascii=False, default=str) for c in new],
            })
            cur.register("new_alerts", frame)
            cur.execute("insert into alerts select * from new_alerts")
            cur.unregister("new_alerts")
        _append_events(store, cur, ended, "vigie", "clear", None, at)
        notify.queue(store, cur, ids, config, at)
        return ids

    with store.write_lock:
        ids = store.transact(write, "alerts")
        store.bump()
    if new:
        log.info("alerts: %d raised, %d cleared", len(new), len(ended))
    return PassResult(ids, ended, failed)


def _append_events(store: Store, cur, alert_ids: list[int], actor: str, kind: str, note: str | None,
                   at: dt.datetime) -> None:
    if not alert_ids:
        return
    frame = pd.DataFrame({"event_id": store.next_ids("alert_event_seq", len(alert_ids), cur),
                          "alert_id": alert_ids, "at_time": at, "actor": actor, "kind": kind, "note": note})
    cur.register("new_alert_events", frame)
    cur.execute("insert into alert_events select * from new_alert_events")
    cur.unregister("new_alert_events")


def acknowledge(store: Store, user: User, alert_id: int, note: str = "") -> None:
    """An operator takes an alert. Refused for other roles, and when someone acknowledged it first."""
    if user.role not in ACTING_ROLES:
        raise PermissionError("Action réservée aux opérateurs et administrateurs.")
    note = (note or "").strip()[:1000] or None
    with store.write_lock:
        cur = store.raw_cursor()
        row = cur.execute("select state, acked_by, acked_at from main.alert_state where alert_id = $id",
                          {"id": int(alert_id)}).fetchone()
        if row is None:
            raise AlertError(f"Alerte n° {alert_id} inconnue.")
        if row[0] == "acquittee":
            raise AlertError(f"Alerte n° {alert_id} déjà acquittée par {row[1]} le {row[2]:%d/%m/%Y %H:%M} (UTC).")
        at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        store.transact(lambda c: _append_events(store, c, [int(alert_id)], user.username, "ack", note, at), "alerts")
        store.bump()


# -- the server's thread ----------------------------------------------------------------------------
class AlertRunner:
    """Evaluates the rules and sends due notifications every `interval` seconds, in a daemon thread."""

    def __init__(self, store: Store, interval: float):
        self.store = store
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vigie-alerts", daemon=True)
        self.last_error: str | None = None

    def start(self) -> "AlertRunner":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def run_once(self) -> None:
        from vigie import notify

        config = notify.NotifyConfig.from_env()
        evaluate(self.store, notify_config=config)
        notify.deliver_due(self.store, config)

    def _loop(self) -> None:
        wait = min(self.interval, 5.0)  # the first pass soon after start: open alerts on the first screens
        while not self._stop.wait(wait):
            wait = self.interval
            try:
                self.run_once()
                self.last_error = None
            except duckdb.ConnectionException as exc:
                if "already closed" in str(exc):  # the store was closed (shutdown, a test's end): nothing to watch
                    log.info("alert thread: the store is closed, stopping")
                    return
                log.exception("alert pass failed")
                self.last_error = str(exc)
            except Exception as exc:  # noqa: BLE001 - the thread lives on; the next pass tries again
                log.exception("alert pass failed")
                self.last_error = str(exc)


def start(store: Store, settings: Settings | None = None) -> AlertRunner | None:
    """Start the alert thread unless VIGIE_ALERT_SECONDS is 0."""
    try:
        interval = float(os.environ.get("VIGIE_ALERT_SECONDS", "30"))
    except ValueError:
        log.warning("VIGIE_ALERT_SECONDS is not a number; 30 used")
        interval = 30.0
    if interval <= 0:
        return None
    return AlertRunner(store, interval).start()
