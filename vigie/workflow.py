"""The situation room's actions on incidents, written to the append-only audit trail.

Every action checks the role here, in the data layer, and never trusts the page. Each takes the
version of the incident the operator was looking at (the id of its latest event); if someone else
changed the incident since, the action is refused with a message naming who did what, instead of
silently overwriting it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from vigie.auth import User
from vigie.ingest.pipeline import NEXT_IDS
from vigie.store import Event, StaleVersion, Store
from vigie.taxonomy import CATEGORIES, SEVERITIES, STATUSES, status_label

ACTING_ROLES = ("admin", "operator")

# Allowed status changes. A verified incident may be escalated (transmis) then resolved (clos).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    # `clos` from the queue is "archive": closed without action (noise, out of scope).
    "nouveau": ("en_verification", "verifie", "faux", "doublon", "clos"),
    "en_verification": ("nouveau", "verifie", "faux", "doublon", "clos"),
    "verifie": ("en_verification", "transmis", "clos", "faux", "doublon"),
    "transmis": ("clos", "verifie"),
    "clos": ("verifie",),
    "faux": ("en_verification",),
    "doublon": ("en_verification",),
}


class WorkflowError(Exception):
    """An action that cannot be done, with the message for the operator."""


class ConcurrentChange(WorkflowError):
    """Someone else changed the incident since the operator loaded it."""


@dataclass(frozen=True)
class IncidentState:
    incident_id: int
    status: str
    held: bool
    version: int
    category: str | None
    severity: int | None
    commune_code: str | None


def _require_operator(user: User) -> None:
    if user.role not in ACTING_ROLES:
        raise PermissionError("Action réservée aux opérateurs et administrateurs.")


class Workflow:
    def __init__(self, store: Store):
        self.store = store

    # -- reading the current state ---------------------------------------------------------------
    def states(self, incident_ids: list[int]) -> dict[int, IncidentState]:
        frame = self.store.raw_cursor().execute(
            """select incident_id, status, held, version, category, severity, commune_code
               from main.incident_state where list_contains($ids, incident_id)""",
            {"ids": [int(i) for i in incident_ids]},
        ).df()
        return {
            int(r.incident_id): IncidentState(int(r.incident_id), r.status, bool(r.held), int(r.version),
                                              r.category, None if pd.isna(r.severity) else int(r.severity),
                                              r.commune_code)
            for r in frame.itertuples()
        }

    def _last_change(self, incident_id: int) -> str:
        row = self.store.raw_cursor().execute(
            """select actor, field, to_value, at_time from main.status_events
               where incident_id = $id order by event_id desc limit 1""",
            {"id": incident_id},
        ).fetchone()
        if not row:
            return ""
        actor, field, value, at = row
        return f" ({actor} : {field} → {value}, à {at:%H:%M} UTC)"

    def _checked(self, user: User, expected: dict[int, int]) -> dict[int, IncidentState]:
        """Current states, after checking that nobody changed them since `expected` versions."""
        _require_operator(user)
        states = self.states(list(expected))
        missing = set(expected) - set(states)
        if missing:
            raise WorkflowError(f"Incident(s) introuvable(s) : {sorted(missing)}")
        for incident_id, version in expected.items():
            if states[incident_id].version != version:
                raise ConcurrentChange(
                    f"L'incident n°{incident_id} a été modifié entre-temps{self._last_change(incident_id)}. "
                    "Rechargez-le avant d'agir."
                )
        return states

    def _record(self, events: list[Event], expected: dict[int, int]) -> int:
        """Append the events if the incidents are still at the versions checked (another replica of a
        shared lake may have written since, even after _checked)."""
        try:
            return self.store.record_events(events, expected)
        except StaleVersion as exc:
            raise ConcurrentChange(
                f"L'incident n°{exc.incident_id} a été modifié entre-temps{self._last_change(exc.incident_id)}. "
                "Rechargez-le avant d'agir."
            ) from exc

    # -- actions ---------------------------------------------------------------------------------
    def set_status(self, user: User, expected: dict[int, int], to_status: str, reason: str | None = None) -> int:
        """Change the status of one or many incidents (batch triage); all or nothing."""
        if to_status not in STATUSES:
            raise WorkflowError(f"Statut inconnu : {to_status}")
        with self.store.write_lock:
            states = self._checked(user, expected)
            for state in states.values():
                if to_status != state.status and to_status not in TRANSITIONS[state.status]:
                    raise WorkflowError(
                        f"Incident n°{state.incident_id} : passage de « {status_label(state.status)} » à "
                        f"« {status_label(to_status)} » impossible."
                    )
            events = [Event(i, "status", to_status, user.username, reason, s.status)
                      for i, s in states.items() if s.status != to_status]
            return self._record(events, expected)

    def set_field(self, user: User, incident_id: int, version: int, field: str, value, reason: str | None = None) -> int:
        """Category, severity, commune (locating), hold back from publication."""
        checks = {
            "category": lambda v: v in CATEGORIES,
            "severity": lambda v: int(v) in SEVERITIES,
            "commune_code": lambda v: v in set(self.store.pack.communes["commune_code"]),
            "held": lambda v: v in ("true", "false"),
        }
        if field not in checks or not checks[field](value):
            raise WorkflowError(f"Valeur refusée pour {field} : {value!r}")
        with self.store.write_lock:
            state = self._checked(user, {incident_id: version})[incident_id]
            old = {"category": state.category, "severity": state.severity, "commune_code": state.commune_code,
                   "held": "true" if state.held else "false"}[field]
            if str(old) == str(value):
                return 0
            return self._record([Event(incident_id, field, str(value), user.username, reason,
                                       None if old is None else str(old))], {incident_id: version})

    def escalate(self, user: User, incident_id: int, version: int, unit: str, reason: str | None = None) -> int:
        unit = (unit or "").strip()
        if not unit:
            raise WorkflowError("Indiquez l'unité de sécurité saisie.")
        with self.store.write_lock:
            state = self._checked(user, {incident_id: version})[incident_id]
            if state.status not in ("verifie", "transmis"):
                raise WorkflowError("Seul un incident vérifié peut être transmis à une unité.")
            events = [Event(incident_id, "assigned_unit", unit[:200], user.username, reason)]
            if state.status != "transmis":
                events.append(Event(incident_id, "status", "transmis", user.username, reason, state.status))
            return self._record(events, {incident_id: version})

    def note(self, user: User, incident_id: int, text: str) -> int:
        """An internal note: operators and observers' audit only, never journalists."""
        _require_operator(user)
        text = (text or "").strip()
        if not text:
            raise WorkflowError("La note est vide.")
        return self.store.record_events([Event(incident_id, "note", text[:4000], user.username)])

    def merge(self, user: User, target: int, expected: dict[int, int], reason: str | None = None) -> int:
        """Merge incidents into `target`: their reports move to it, they become duplicates of it."""
        sources = [i for i in expected if i != target]
        if not sources:
            raise WorkflowError("Choisissez au moins un incident à fusionner dans l'incident cible.")
        with self.store.write_lock:
            self._checked(user, expected)
            params = {"target": target, "sources": sources, "at": _now(), "actor": user.username, "reason": reason}

            def move(cur):
                n = cur.execute("select count(*) from main.report_state where list_contains($sources, incident_id)",
                                {"sources": sources}).fetchone()[0]
                # Ids reserved first, then given in report order (nextval() in INSERT … SELECT is not
                # ordered, and a lake has no sequences).
                first = self.store.next_ids("move_seq", n, cur)[0] if n else 0
                cur.execute(
                    """insert into main.report_moves
                       select $first - 1 + row_number() over (order by report_id), report_id, incident_id, $target,
                              $at, $actor, $reason
                       from main.report_state where list_contains($sources, incident_id)""",
                    {**params, "first": first},
                )

            self.store.transact(move, "merge")
            events = []
            for i in sources:
                events += [Event(i, "merged_into", str(target), user.username, reason),
                           Event(i, "status", "doublon", user.username, f"fusionné dans n°{target}")]
            return self.store.record_events(events)

    def split(self, user: User, report_id: int, reason: str | None = None) -> int:
        """Move one report out of its incident into a new incident of its own; returns the new id."""
        _require_operator(user)
        with self.store.write_lock:
            cur = self.store.raw_cursor()
            row = cur.execute("select incident_id from main.report_state where report_id = $r",
                              {"r": report_id}).fetchone()
            if not row:
                raise WorkflowError(f"Signalement introuvable : {report_id}")
            old = row[0]
            n = cur.execute("select count(*) from main.report_state where incident_id = $i", {"i": old}).fetchone()[0]
            if n < 2:
                raise WorkflowError("Ce signalement est le seul de son incident : rien à séparer.")

            def write(cur) -> int:
                # Reports and incidents share one counter (an incident founded at ingest takes its
                # first report's id); the write lock makes max + 1 safe in this process, and refreshing
                # the cache in the same transaction makes a lake refuse it beside a concurrent ingest.
                cur.execute(NEXT_IDS)
                new_id = cur.execute("select max_id + 1 from next_ids").fetchone()[0]
                cur.execute(
                    """insert into main.incidents
                       select $new, $at, occurred_at, occurred_local, commune_code, departement_code, lat, lon,
                              geo_precision, category, severity, left(description, 280), place_text, source,
                              null, null
                       from main.reports where report_id = $r""",
                    {"new": new_id, "at": _now(), "r": report_id},
                )
                move_id = self.store.next_ids("move_seq", 1, cur)[0]
                cur.execute(
                    """insert into main.report_moves values ($m, $r, $old, $new, $at, $actor, $reason)""",
                    {"m": move_id, "r": report_id, "old": old, "new": new_id, "at": _now(), "actor": user.username,
                     "reason": reason},
                )
                cur.execute("drop table if exists next_ids")
                self.store.refresh_current(cur=cur)
                return new_id

            new_id = self.store.transact(write, "split")
            self.store.record_events([Event(new_id, "note", f"séparé de l'incident n°{old}", user.username, reason)])
            return new_id


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
