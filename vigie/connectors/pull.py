"""One connector's pull step: page through the API from the cursor, drop each page of new records in
the inbox, then (only then) move the cursor on and store it.

The connector never writes reports: the inbox file goes through the normal ingest (validation,
quarantine, dedupe). If the server dies between the drop and the cursor update, the next run pulls
those records again and the ingest counts them as duplicates: nothing lost, nothing doubled.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from collections.abc import Mapping

from vigie.config import Settings
from vigie.connectors import state as state_db
from vigie.connectors.apis import APIS, Api, ApiError
from vigie.connectors.config import ConnectorConfig
from vigie.connectors.fetch import FetchError, get_json
from vigie.ingest.inbox import drop_bytes
from vigie.store import Store

log = logging.getLogger(__name__)


@dataclasses.dataclass
class RunResult:
    name: str
    pulled: int = 0  # records dropped into the inbox
    pages: int = 0  # requests answered
    files: int = 0  # inbox files written
    error: str | None = None
    more: bool = False  # stopped at max_pages_per_run with pages left
    delay: float = 0.0  # seconds until the next run


class Connector:
    def __init__(self, store: Store, settings: Settings, config: ConnectorConfig,
                 environ: Mapping[str, str] | None = None):
        self.store = store
        self.settings = settings
        self.config = config
        self.api: Api = APIS[config.kind](config)
        self.environ = os.environ if environ is None else environ

    @property
    def name(self) -> str:
        return self.config.name

    def run_once(self) -> RunResult:
        """Pull what is new, record the outcome in connector_state, and say when to run next. Never raises
        for a feed problem: errors are stored, logged without the token, and backed off."""
        state = state_db.load(self.store, self.config)
        result = RunResult(self.name)
        started = state_db.utcnow()
        try:
            self._pull(state, result)
        except (FetchError, ApiError) as exc:
            result.error = str(exc)
            result.delay = self._backoff(state.consecutive_failures + 1, getattr(exc, "retry_after", None))
        except Exception as exc:  # noqa: BLE001 - a bug in one connector must not stop the others
            log.exception("connecteur %s : erreur inattendue", self.name)
            result.error = f"erreur interne : {type(exc).__name__}: {exc}"[:500]
            result.delay = self._backoff(state.consecutive_failures + 1, None)
        else:
            # A backlog continues at once; a server that ignores paging (only old records) waits its turn.
            result.delay = 0.0 if result.more and result.pulled else self.config.interval_seconds
        self._finish(state, result, started)
        return result

    # -- paging -------------------------------------------------------------------------------

    def _pull(self, state: state_db.ConnectorState, result: RunResult) -> None:
        self.api.check()
        auth = self.api.authorization(self._token())
        overlap = self.config.overlap_seconds
        pager = _Pager(self, auth, result)
        start = state.cursor.query_from(overlap)
        try:
            page_index, records = pager.seek(start, 0)
            while True:
                keys = [self.api.key(r) for r in records]
                new = [(r, k) for r, k in zip(records, keys) if state.cursor.is_new(k, overlap)]
                last = len(records) < self.config.page_size
                if new:
                    self._drop([r for r, _ in new], result)
                    before = state.cursor.time
                    state.cursor = state.cursor.advanced([k for _, k in new], overlap)
                    state.n_pulled += len(new)
                    state_db.save(self.store, state)
                    if state.cursor.time != before and not last:
                        # Query again from the new cursor: offsets of the old query may have shifted meanwhile.
                        start = state.cursor.query_from(overlap)
                        page_index, records = pager.seek(start, page_index if pager.ignores_filter else 0)
                        continue
                if last:
                    return
                # Nothing new moved the cursor's second (many records share it): the next page of this query.
                page_index += 1
                records = pager.page(start, page_index)
        except _OutOfPages:
            result.more = True

    def _drop(self, records: list, result: RunResult) -> None:
        data, original, tag = self.api.inbox_file(records)
        drop_bytes(self.settings.inbox, data, original, tag)  # fsync + rename: safe before the cursor moves
        result.files += 1
        result.pulled += len(records)

    def _token(self) -> str | None:
        env = self.config.token_env
        if not env:
            return None
        token = (self.environ.get(env) or "").strip()
        if not token:
            raise ApiError(f"variable d'environnement {env} absente ou vide : pas de jeton pour l'API")
        return token

    # -- outcome ------------------------------------------------------------------------------

    def _backoff(self, failures: int, retry_after: float | None) -> float:
        delay = self.config.backoff_seconds * 2 ** min(failures - 1, 30)
        if retry_after:
            delay = max(delay, retry_after)
        return min(delay, self.config.backoff_max_seconds)

    def _finish(self, state: state_db.ConnectorState, result: RunResult, started: dt.datetime) -> None:
        now = state_db.utcnow()
        state.last_run_at = started
        state.n_last_run = result.pulled
        if result.error is None:
            state.last_success_at = now
            state.consecutive_failures = 0
        else:
            state.last_error = result.error
            state.last_error_at = now
            state.consecutive_failures += 1
            log.warning("connecteur %s : %s (essai suivant dans %g s)", self.name, result.error, result.delay)
        state.next_run_at = now + dt.timedelta(seconds=result.delay)
        state_db.save(self.store, state)


class _OutOfPages(Exception):
    """max_pages_per_run reached: the rest waits for the next run."""


class _Pager:
    """Pages of one run. When the server ignores the time filter (some Ushahidi v5 versions apply
    strtotime twice to updated_after, which turns it into 0), pages still come sorted by time, so
    the first page at the cursor is found by galloping then halving: a few requests, not the
    whole history on every run."""

    def __init__(self, connector: Connector, auth: str | None, result: RunResult):
        self.connector = connector
        self.api = connector.api
        self.auth = auth
        self.result = result
        self.ignores_filter = False

    def page(self, start: dt.datetime | None, index: int) -> list:
        config = self.connector.config
        if self.result.pages >= config.max_pages_per_run:
            raise _OutOfPages
        url = self.api.page_url(start, index)
        log.debug("connecteur %s : GET %s", config.name, url)
        records = self.api.records(get_json(url, self.auth, config.timeout_seconds))
        self.result.pages += 1
        return records

    def seek(self, start: dt.datetime | None, hint: int) -> tuple[int, list]:
        """(index, records) of the first page that holds records at or after `start`."""
        if start is None:
            return 0, self.page(None, 0)
        pages: dict[int, list] = {}
        size = self.connector.config.page_size

        def before(index: int) -> bool:  # the whole page is older than start
            if index < 0:
                return True
            if index not in pages:
                pages[index] = self.page(start, index)
            times = [self.api.key(r)[0] for r in pages[index]]
            return len(times) == size and all(t is not None and t < start for t in times)

        if not before(hint) and before(hint - 1):
            return hint, pages[hint]
        if not self.ignores_filter:
            self.ignores_filter = True
            log.info("connecteur %s : le serveur ignore le filtre de date, recherche de la page du curseur",
                     self.connector.name)
        step, lo, hi = 1, hint, hint
        if before(hint):  # gallop forward to a page that is not wholly before start
            while before(hi):
                lo, hi, step = hi, hi + step, step * 2
        else:  # gallop backward to a page that is
            while not before(lo):
                hi, lo, step = lo, lo - step, step * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if before(mid):
                lo = mid
            else:
                hi = mid
        return hi, pages[hi]
