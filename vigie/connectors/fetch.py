"""GET one JSON page with urllib: a timeout on every request, the token in a header that is never
logged nor sent on to a redirect target, and one FetchError with a readable reason for anything else.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request

MAX_BYTES = 64 * 1024 * 1024  # a KoBo page of 1,000 submissions is a few MB
USER_AGENT = "Vigie-connecteur/1"


class FetchError(Exception):
    """A page could not be had. The message is safe to store and show: it never holds the token."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after


def get_json(url: str, auth: str | None, timeout: float) -> object:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": USER_AGENT})
    if auth:
        # Unredirected: urllib would otherwise copy it to wherever a redirect points.
        request.add_unredirected_header("Authorization", auth)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise _http_error(exc) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise FetchError(f"délai dépassé ({timeout:g} s)") from None
        raise FetchError(f"serveur injoignable : {exc.reason}") from None
    except (TimeoutError, socket.timeout):
        raise FetchError(f"délai dépassé ({timeout:g} s)") from None
    except (http.client.HTTPException, OSError) as exc:
        raise FetchError(f"connexion interrompue : {type(exc).__name__} {exc}") from None
    if len(body) > MAX_BYTES:
        raise FetchError(f"réponse de plus de {MAX_BYTES // 2**20} Mo : réduire page_size")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        start = body[:60].decode("utf-8", "replace").replace("\n", " ")
        raise FetchError(f"réponse JSON invalide ({len(body)} octets, début : {start!r})") from None


def _http_error(exc: urllib.error.HTTPError) -> FetchError:
    status = exc.code
    retry_after = _seconds(exc.headers.get("Retry-After")) if exc.headers else None
    exc.close()
    if status in (401, 403):
        return FetchError(f"accès refusé (HTTP {status}) : jeton absent, invalide ou sans droit de lecture", status)
    if status == 429:
        return FetchError("trop de requêtes (HTTP 429)", status, retry_after)
    return FetchError(f"HTTP {status} {exc.reason or ''}".strip(), status, retry_after)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff alone decides
