"""Fact-checking social-media claims: verdicts, links to the reports and incidents that repeat a claim,
and suggestions of reports to link, written to the append-only `claim_events`.

As for incidents (vigie.workflow), every action checks the role here and takes the version of the claim
the user was looking at (the id of its latest event, 0 for none): if someone else acted on the claim
since, the action is refused with who did what and when, instead of silently overwriting it.
Fact-checkers may give verdicts and link reports; they act on nothing else.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from vigie import sql
from vigie.auth import User
from vigie.ingest.match import score_pairs
from vigie.ingest.tables import http_url
from vigie.store import Store
from vigie.workflow import ConcurrentChange, WorkflowError

ACTING_ROLES = ("admin", "operator", "factchecker")
VERDICTS = ("vrai", "faux", "trompeur", "invérifiable")
# A disinformation report scoring at least this with a claim (the grouping score, 0–100) is suggested.
# Chosen on tests/fixtures/claims/suggestions.csv: see tests/test_claims_page.py and the README.
SUGGEST_THRESHOLD = 65.0
SUGGEST_DAYS = 7  # reports from a week before the claim was first seen to a week after its last sighting
CANDIDATES = 2_000
MAX_JUSTIFICATION = 2_000


def _require_checker(user: User) -> None:
    if user.role not in ACTING_ROLES:
        raise PermissionError("Action réservée aux opérateurs, administrateurs et vérificateurs.")


class ClaimWorkflow:
    def __init__(self, store: Store):
        self.store = store

    def version(self, claim_id: int) -> int:
        """The id of the claim's latest event (0 for none): what an action says it was looking at."""
        return int(self.store.raw_cursor().execute(
            "select coalesce(max(event_id), 0) from main.claim_events where claim_id = $id", {"id": claim_id}
        ).fetchone()[0])

    def _checked(self, user: User, claim_id: int, version: int) -> None:
        _require_checker(user)
        cur = self.store.raw_cursor()
        if not cur.execute("select count(*) from main.claims where claim_id = $id", {"id": claim_id}).fetchone()[0]:
            raise WorkflowError(f"Affirmation introuvable : {claim_id}")
        last = cur.execute(
            """select event_id, actor, kind, verdict, report_id, incident_id, at_time from main.claim_events
               where claim_id = $id order by event_id desc limit 1""", {"id": claim_id}).fetchone()
        if (last[0] if last else 0) != version:
            _, actor, kind, verdict, report_id, incident_id, at = last
            what = {"verdict": f"verdict → {verdict}",
                    "link": f"lien → {'signalement' if report_id else 'incident'} n°{report_id or incident_id}",
                    "unlink": f"lien retiré n°{report_id or incident_id}"}[kind]
            raise ConcurrentChange(f"L'affirmation n°{claim_id} a été modifiée entre-temps ({actor} : {what}, "
                                   f"à {at:%H:%M} UTC). Rechargez-la avant d'agir.")

    def _append(self, rows: list[dict]) -> int:
        frame = pd.DataFrame(rows, columns=["claim_id", "actor", "kind", "verdict", "justification", "debunk_url",
                                            "report_id", "incident_id"])
        for column in ("report_id", "incident_id"):
            frame[column] = frame[column].astype("Int64")
        for column in ("verdict", "justification", "debunk_url"):
            frame[column] = frame[column].astype("string")
        at = _now()

        def write(cur):
            rows = frame.assign(event_id=self.store.next_ids("claim_event_seq", len(frame), cur))
            cur.register("new_claim_events", rows)
            try:
                cur.execute("""insert into main.claim_events
                               select event_id, claim_id, $at, actor, kind, verdict, justification, debunk_url,
                                      report_id, incident_id
                               from new_claim_events""", {"at": at})
            finally:
                cur.unregister("new_claim_events")

        self.store.transact(write, "claims")
        self.store.bump()  # inside the lock: the next action sees this one
        return len(frame)

    # -- actions ---------------------------------------------------------------------------------
    def give_verdict(self, user: User, claim_id: int, version: int, verdict: str, justification: str | None,
                     debunk_url: str | None = None) -> int:
        if verdict not in VERDICTS:
            raise WorkflowError(f"Verdict inconnu : {verdict!r} (attendus : {', '.join(VERDICTS)})")
        justification = (justification or "").strip()
        if not justification:
            raise WorkflowError("Justifiez le verdict : c'est ce que la presse en lira.")
        link = None
        if (debunk_url or "").strip():
            link = http_url(debunk_url.strip())
            if link is None:
                raise WorkflowError("Le lien du démenti doit commencer par http:// ou https://.")
        with self.store.write_lock:
            self._checked(user, claim_id, version)
            return self._append([{"claim_id": claim_id, "actor": user.username, "kind": "verdict", "verdict": verdict,
                                  "justification": justification[:MAX_JUSTIFICATION], "debunk_url": link}])

    def link(self, user: User, claim_id: int, version: int, report_ids: list[int] = (),
             incident_ids: list[int] = (), undo: bool = False) -> int:
        """Link (or, with `undo`, unlink) reports and incidents that repeat the claim. A fact-checker links
        only the reports its scope shows (disinformation reports and those already linked), never incidents."""
        report_ids, incident_ids = sorted({int(r) for r in report_ids}), sorted({int(i) for i in incident_ids})
        if not report_ids and not incident_ids:
            raise WorkflowError("Choisissez au moins un signalement ou un incident.")
        if user.role == "factchecker" and incident_ids:
            raise PermissionError("Les vérificateurs lient des signalements, pas des incidents.")
        with self.store.write_lock:
            self._checked(user, claim_id, version)
            cur = self.store.cursor(user.role)  # what this role may see is what it may link
            try:
                seen_reports = {r[0] for r in cur.execute(
                    "select report_id from reports where list_contains($ids, report_id)", {"ids": report_ids}
                ).fetchall()} if report_ids else set()
                seen_incidents = {r[0] for r in cur.execute(
                    "select incident_id from incidents where list_contains($ids, incident_id)", {"ids": incident_ids}
                ).fetchall()} if incident_ids else set()
            finally:
                cur.close()
            missing = [f"signalement n°{r}" for r in report_ids if r not in seen_reports] + \
                      [f"incident n°{i}" for i in incident_ids if i not in seen_incidents]
            if missing:
                raise WorkflowError(f"Introuvable(s) : {', '.join(missing)}")
            kind = "unlink" if undo else "link"
            rows = [{"claim_id": claim_id, "actor": user.username, "kind": kind, "report_id": r} for r in report_ids]
            rows += [{"claim_id": claim_id, "actor": user.username, "kind": kind, "incident_id": i} for i in incident_ids]
            return self._append(rows)


def suggestions(store: Store, role: str, claim_id: int, threshold: float = SUGGEST_THRESHOLD) -> pd.DataFrame:
    """Disinformation reports, not yet linked, whose text repeats the claim's: the grouping score of the two
    texts (vigie.ingest.match) at least `threshold`, best first."""
    claim = sql.run(store, role, "claim_detail", {"claim_id": int(claim_id)})
    if claim.empty or not isinstance(claim["text"].iloc[0], str):
        return pd.DataFrame(columns=["report_id", "incident_id", "occurred_local", "commune_code", "description",
                                     "score"])
    row = claim.iloc[0]
    seen_from = row["first_seen"] if pd.notna(row["first_seen"]) else pd.Timestamp("2000-01-01")
    seen_to = row["last_seen"] if pd.notna(row["last_seen"]) else pd.Timestamp("2100-01-01")
    found = sql.run(store, role, "claim_candidates", {
        "claim_id": int(claim_id), "limit": CANDIDATES,
        "date_from": seen_from - pd.Timedelta(days=SUGGEST_DAYS), "date_to": seen_to + pd.Timedelta(days=SUGGEST_DAYS),
    })
    if found.empty:
        return found.assign(score=pd.Series(dtype=float))
    found["score"] = score_pairs([row["text"]] * len(found), found["description"].tolist())
    return found[found["score"] >= threshold].sort_values(["score", "report_id"], ascending=[False, True])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
