"""Rallies under protection: the situation room's decisions on the parties' itineraries, and the parties'
own submissions ("coproduction de la sécurité").

Operators and admins set a rally's protection status (demandée → accordée / refusée, or aucune) and the
unit in charge; each change is one row of the append-only `rally_events` (who, when, from, to, why), as
status_events are for incidents. As in vigie.workflow, every action checks the role here and takes the
version of the rally the operator was looking at (the id of its latest event, 0 for none): a change made
by someone else first is refused with who did what and when.

Party liaisons submit their own party's itineraries, through an upload of the rallies CSV or a form for
one rally; both go through the rallies reader (vigie.ingest.rallies), bound to the account's party.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from dataclasses import dataclass

import pandas as pd

from vigie.auth import User
from vigie.ingest.pipeline import IngestResult
from vigie.ingest.records import Rejection
from vigie.ingest.tables import submit_rallies
from vigie.store import Store
from vigie.workflow import ConcurrentChange, WorkflowError

ACTING_ROLES = ("admin", "operator")
READING_ROLES = ("admin", "operator", "observer", "journalist", "party")
PROTECTION = ("demandee", "accordee", "refusee", "aucune")
# Statuses a decision may set, from each current one (None: the file said nothing).
TRANSITIONS: dict[str | None, tuple[str, ...]] = {
    None: ("demandee", "accordee", "refusee", "aucune"),
    "aucune": ("demandee", "accordee"),
    "demandee": ("accordee", "refusee", "aucune"),
    "accordee": ("refusee", "demandee"),  # withdrawn (threat assessment changed), or back to review
    "refusee": ("accordee", "demandee"),
}
MAX_REASON = 1_000
MAX_UNIT = 120
UPLOAD_LIMIT = 2_000_000  # bytes: a party's itinerary file is a few hundred rows


def window_params() -> dict:
    """Incidents "near" a rally: in its commune, from `before_hours` before its start to `after_hours` after.
    VIGIE_RALLY_BEFORE_HOURS (default 3) and VIGIE_RALLY_AFTER_HOURS (default 6), each 0 to 72."""
    def hours(name: str, default: float) -> float:
        try:
            value = float(os.environ.get(name, default))
        except ValueError:
            return default
        return min(max(value, 0.0), 72.0)

    return {"before_hours": hours("VIGIE_RALLY_BEFORE_HOURS", 3.0), "after_hours": hours("VIGIE_RALLY_AFTER_HOURS", 6.0)}


@dataclass(frozen=True)
class RallyState:
    rally_id: int
    party: str
    protection_status: str | None
    unit: str | None
    version: int


def _require_operator(user: User) -> None:
    if user.role not in ACTING_ROLES:
        raise PermissionError("Décision réservée aux opérateurs et administrateurs.")


class RallyWorkflow:
    def __init__(self, store: Store):
        self.store = store

    def state(self, rally_id: int) -> RallyState | None:
        row = self.store.raw_cursor().execute(
            """select rally_id, party, protection_status, unit, version from main.rally_state
               where rally_id = $id""", {"id": int(rally_id)}).fetchone()
        return RallyState(int(row[0]), row[1], row[2], row[3], int(row[4])) if row else None

    def _checked(self, user: User, rally_id: int, version: int) -> RallyState:
        _require_operator(user)
        state = self.state(rally_id)
        if state is None:
            raise WorkflowError(f"Meeting introuvable : {rally_id}")
        if state.version != version:
            # The last action: its events share one time and one actor.
            last = self.store.raw_cursor().execute(
                """select actor, field, to_value, at_time from main.rally_events where rally_id = $id
                   qualify at_time = max(at_time) over () order by event_id""", {"id": int(rally_id)}).fetchall()
            what = ", ".join(f"protection → {value}" if field == "protection_status" else
                             f"unité → {value or '(retirée)'}" for _, field, value, _ in last)
            raise ConcurrentChange(f"Le meeting n°{rally_id} a été modifié entre-temps ({last[-1][0]} : {what}, "
                                   f"à {last[-1][3]:%H:%M} UTC). Rechargez-le avant d'agir.")
        return state

    def decide(self, user: User, rally_id: int, version: int, status: str | None = None,
               unit: str | None = None, reason: str | None = None) -> int:
        """Set the protection status and/or the unit in charge (`unit=""` withdraws it) in one action;
        returns the number of events written (0 when nothing changes)."""
        reason = " ".join((reason or "").split())[:MAX_REASON] or None
        with self.store.write_lock:
            state = self._checked(user, rally_id, version)
            events: list[tuple[str, str | None, str | None]] = []
            if status is not None and status != state.protection_status:
                if status not in PROTECTION:
                    raise WorkflowError(f"Statut de protection inconnu : {status!r}")
                if status not in TRANSITIONS[state.protection_status]:
                    raise WorkflowError(f"Passage de « {state.protection_status} » à « {status} » impossible.")
                if status == "refusee" and not reason:
                    raise WorkflowError("Un refus de protection dit pourquoi (motif).")
                events.append(("protection_status", state.protection_status, status))
            if unit is not None:
                unit = " ".join(unit.split())[:MAX_UNIT] or None
                if unit != state.unit:
                    events.append(("unit", state.unit, unit))
            final_status = next((to for field, _, to in events if field == "protection_status"),
                                state.protection_status)
            if final_status != "accordee":
                if unit:
                    raise WorkflowError("Une unité est affectée à un meeting dont la protection est accordée.")
                if unit is None and state.unit:  # protection withdrawn or refused: its unit is released
                    events.append(("unit", state.unit, None))
            if not events:
                return 0
            return self._append(rally_id, version, user.username, events, reason)

    def _append(self, rally_id: int, version: int, actor: str, events: list[tuple[str, str | None, str | None]],
                reason: str | None) -> int:
        frame = pd.DataFrame(events, columns=["field", "from_value", "to_value"], dtype="string")
        at = _now()

        def write(cur):
            # Checked again inside the writing transaction: on a shared lake another replica may have acted
            # since _checked; of two decisions on one version, one commits and the other is told.
            latest = cur.execute("select coalesce(max(event_id), 0) from main.rally_events where rally_id = $id",
                                 {"id": int(rally_id)}).fetchone()[0]
            if latest != version:
                raise ConcurrentChange(f"Le meeting n°{rally_id} a été modifié entre-temps. Rechargez-le avant d'agir.")
            rows = frame.assign(event_id=self.store.next_ids("rally_event_seq", len(frame), cur))
            cur.register("new_rally_events", rows)
            try:
                cur.execute("""insert into main.rally_events
                               select event_id, $rally, $at, $actor, field, from_value, to_value, $reason
                               from new_rally_events""",
                            {"rally": int(rally_id), "at": at, "actor": actor, "reason": reason})
            finally:
                cur.unregister("new_rally_events")

        self.store.transact(write, "rallies")
        self.store.bump()  # inside the lock: the next action sees this one
        return len(frame)


# -- party liaisons' submissions -------------------------------------------------------------------
def _require_party(user: User) -> str:
    if user.role != "party" or not user.party:
        raise PermissionError("Soumission réservée aux comptes de parti.")
    return user.party


def submit_file(store: Store, user: User, data: bytes, name: str) -> tuple[IngestResult, list[Rejection]]:
    """A party's itinerary file (the rallies CSV the feed reads), for its own party only."""
    party = _require_party(user)
    if len(data) > UPLOAD_LIMIT:
        raise WorkflowError(f"Fichier trop volumineux ({len(data) // 1000} Ko ; 2 000 Ko au plus).")
    return submit_rallies(store, data, name or "meetings.csv", party, source_of(user))


def submit_one(store: Store, user: User, day: dt.date, hour: dt.time, commune: str, place: str | None,
               attendance: int | None, protection: bool = True) -> tuple[IngestResult, list[Rejection]]:
    """One rally from the party's form: written as a one-row rallies file, so that it passes the same checks
    and lands in the same audit as an upload."""
    party = _require_party(user)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["parti", "date", "heure", "commune", "lieu", "affluence_attendue", "protection"])
    writer.writerow([party, f"{day:%d/%m/%Y}", f"{hour:%H:%M}", commune, place or "",
                     "" if attendance is None else str(int(attendance)), "demandée" if protection else "aucune"])
    return submit_rallies(store, out.getvalue().encode("utf-8"), "formulaire-meeting.csv", party, source_of(user))


def source_of(user: User) -> str:
    """The source a party's submissions carry: its account, so that the room knows who sent what."""
    return f"parti:{user.username}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
