"""What differs between the APIs: the request for a page, the records in the answer, each record's
(update time, id), and the inbox file a page of new records becomes.

| | Ushahidi Platform v5 | KoBoToolbox API v2 |
|---|---|---|
| request | `GET {url}/api/v5/posts?order=asc&orderby=updated&status=all&updated_after=…&page=N&limit=L` (`&form=` with `form`) | `GET {url}/api/v2/assets/{form}/data/?format=json&sort={"_submission_time":1,"_id":1}&query={"_submission_time":{"$gte":…}}&start=S&limit=L` |
| token | `Authorization: Bearer …` | `Authorization: Token …` |
| answer | `{"results": [...], "count", "meta"}` (or `{"data": [...]}`) | `{"count", "next", "previous", "results": [...]}` |
| time, id | `updated` (else `created`), `id` | `_submission_time` (UTC), `_id` (else `_uuid`) |
| inbox file | `{"results": [new posts]}` as `<name>.ushahidi-posts.json` → `ushahidi.posts_to_records` | `{"results": [new submissions]}` as `<name>.kobo-api.json`, tag `kobo:<mapping or form>` → `kobo` |

Ushahidi's `updated_after` is strict (`updated > t`, whole seconds), so the request asks from one second
before the cursor's second; KoBo's `$gte` includes it. Both sort by that time, so a record inserted
or updated while paging lands after the cursor and is read by a later page, whatever it shifts.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote, urlencode

from vigie.connectors.config import ConnectorConfig
from vigie.connectors.cursor import Key, parse_time
from vigie.ingest import kobo as kobo_feed


class ApiError(Exception):
    """An answer that is JSON but not the documented shape, or a set-up problem of the connector."""


class Api:
    kind = ""
    auth_scheme = ""

    def __init__(self, config: ConnectorConfig):
        self.config = config

    def check(self) -> None:
        """Refuse to pull what the ingest could not read (raises ApiError)."""

    def page_url(self, start: dt.datetime | None, page_index: int) -> str:
        raise NotImplementedError

    def records(self, doc: object) -> list:
        raise NotImplementedError

    def key(self, record: object) -> Key:
        raise NotImplementedError

    def inbox_file(self, records: list) -> tuple[bytes, str, str | None]:
        """(bytes, original name, source tag) of the inbox file holding these records."""
        raise NotImplementedError

    def authorization(self, token: str | None) -> str | None:
        return f"{self.auth_scheme} {token}" if token else None


def _dumps(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class UshahidiApi(Api):
    kind = "ushahidi"
    auth_scheme = "Bearer"

    def page_url(self, start: dt.datetime | None, page_index: int) -> str:
        params = [("order", "asc"), ("orderby", "updated"), ("status", "all")]
        if start is not None:
            after = start - dt.timedelta(seconds=1)  # the API keeps updated > after
            params.append(("updated_after", after.strftime("%Y-%m-%dT%H:%M:%SZ")))
        if self.config.form:
            params.append(("form", self.config.form))
        params += [("page", page_index + 1), ("limit", self.config.page_size)]
        return f"{self.config.base_url}/api/v5/posts?{urlencode(params)}"

    def records(self, doc: object) -> list:
        items = None
        if isinstance(doc, dict):
            items = doc.get("results") if "results" in doc else doc.get("data")
        elif isinstance(doc, list):
            items = doc
        if not isinstance(items, list):
            raise ApiError("réponse Ushahidi sans liste « results » de messages")
        return items

    def key(self, record: object) -> Key:
        if not isinstance(record, dict):
            return None, None
        ident = record.get("id")
        return (parse_time(record.get("updated") or record.get("created")),
                str(ident) if ident not in (None, "") else None)

    def inbox_file(self, records: list) -> tuple[bytes, str, str | None]:
        # The inbox routes `*.ushahidi-posts.json` to the v5 posts reader by its name.
        doc = {"results": records, "count": len(records)}
        return _dumps(doc), f"{self.config.name}.ushahidi-posts.json", None


class KoboApi(Api):
    kind = "kobo"
    auth_scheme = "Token"

    @property
    def form_tag(self) -> str:
        return self.config.mapping or self.config.form or ""

    def check(self) -> None:
        if kobo_feed.find_mapping(self.form_tag) is None:
            where = ", ".join(str(d) for d in kobo_feed.mapping_dirs())
            raise ApiError(f"aucun fichier de correspondance pour le formulaire « {self.form_tag} » (cherché dans "
                           f"{where}) : rien n'est tiré tant qu'il manque")

    def page_url(self, start: dt.datetime | None, page_index: int) -> str:
        params = [("format", "json"), ("sort", json.dumps({"_submission_time": 1, "_id": 1}))]
        if start is not None:
            # KoBo writes _submission_time in UTC without zone, and compares it as text.
            params.append(("query", json.dumps({"_submission_time": {"$gte": start.strftime("%Y-%m-%dT%H:%M:%S")}})))
        params += [("start", page_index * self.config.page_size), ("limit", self.config.page_size)]
        asset = quote(self.config.form or "", safe="")
        return f"{self.config.base_url}/api/v2/assets/{asset}/data/?{urlencode(params)}"

    def records(self, doc: object) -> list:
        items = doc.get("results") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise ApiError("réponse KoBo sans liste « results » de soumissions")
        return items

    def key(self, record: object) -> Key:
        if not isinstance(record, dict):
            return None, None
        ident = record.get("_id")
        if ident in (None, ""):
            ident = record.get("_uuid")
        return parse_time(record.get("_submission_time")), str(ident) if ident not in (None, "") else None

    def inbox_file(self, records: list) -> tuple[bytes, str, str | None]:
        doc = {"count": len(records), "next": None, "previous": None, "results": records}
        return _dumps(doc), f"{self.config.name}.kobo-api.json", f"kobo:{self.form_tag}"


APIS: dict[str, type[Api]] = {"ushahidi": UshahidiApi, "kobo": KoboApi}
