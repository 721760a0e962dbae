"""SMS webhook receiver: its own small HTTP process that turns inbound-SMS callbacks into inbox files.

    VIGIE_WEBHOOK_SECRET=… python -m vigie.webhook --port 8502 [--host 0.0.0.0] [--inbox state/inbox]

It never opens the database (the Streamlit server owns it): each accepted message becomes one
`<provider>-<id>.sms.jsonl` file in the inbox, written atomically, holding one line
`{"provider", "message_id", "from", "text", "received_at"}` (read by `vigie.ingest.sms`), plus `sent_at`
(the gateway's own sent time, ISO UTC) and `media` (attachment links) when the gateway gives them. A
message without a text body (an MMS) is kept.

| endpoint | sender | body | fields used |
|---|---|---|---|
| `POST /sms/rapidpro` | RapidPro / TextIt flow webhook | JSON (default payload) or form | `input.text`, `contact.urn` (or `input.urn`), `input.uuid`, `input.created_on`, `input.attachments`; flat `text`/`from`/`id` also accepted |
| `POST /sms/twilio` | Twilio Messaging | form | `Body`, `From`, `MessageSid` (or `SmsSid`), `NumMedia` + `MediaUrl<n>`, `DateSent` when given → answers TwiML `<Response/>` |
| `POST /sms/africastalking` | Africa's Talking incoming SMS | form | `text`, `from`, `id` (`date` kept as sent time) |
| `GET /health` | monitoring | — | answers `ok` |

Every request must carry the shared secret (`VIGIE_WEBHOOK_SECRET`, else the state folder's `webhook-secret`
file, as `make run` generates it), in the `X-Vigie-Secret` header or
the `?secret=` query parameter (Twilio and Africa's Talking cannot add headers); it is compared in
constant time and never logged. Answers: 401 without secret, 403 with a wrong one, 503 for everything
while no secret is configured, 411/413 without length or above 64 KB, 429 beyond the per-address rate
(token bucket: `--rate` per second, bursts of `--burst`), 400 with the reason for unreadable input, 500
if the inbox cannot be written (the gateway then retries), 200 otherwise. Behind a reverse proxy,
`--trust-proxy` rates clients by the first `X-Forwarded-For` address.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import hashlib
import hmac
import json
import logging
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from vigie.ingest.inbox import drop_bytes, safe_name
from vigie.ingest.sms import INBOX_SUFFIX

log = logging.getLogger("vigie.webhook")

SECRET_ENV = "VIGIE_WEBHOOK_SECRET"
SECRET_HEADER = "X-Vigie-Secret"
MAX_BODY = 64 * 1024
DRAIN_LIMIT = 1024 * 1024  # bytes read and dropped before an early refusal, so the client sees the answer
DEFAULT_PORT = 8502
TWIML_EMPTY = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


class BadRequest(Exception):
    """Input the receiver cannot use: answered 400 with this reason."""


# -- rate limit -----------------------------------------------------------------------------------


class TokenBucket:
    """Per-client token buckets: `rate` tokens per second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > 10_000:
                self._forget_idle(now)
            return allowed

    def _forget_idle(self, now: float) -> None:
        full_after = self.burst / self.rate if self.rate > 0 else float("inf")
        for key, (_tokens, last) in list(self._buckets.items()):
            if now - last > full_after:
                del self._buckets[key]


# -- providers ------------------------------------------------------------------------------------


def _form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("corps de requête non UTF-8") from exc
    pairs = parse_qs(text, keep_blank_values=True)
    return {k: v[0] for k, v in pairs.items()}


def _json(body: bytes) -> dict:
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"JSON illisible : {exc}") from exc
    if not isinstance(obj, dict):
        raise BadRequest("un objet JSON {…} est attendu")
    return obj


def _fields(body: bytes, content_type: str) -> dict:
    return _json(body) if "json" in content_type.lower() else _form(body)


def _required(fields: dict, *names: str) -> str:
    for name in names:
        value = fields.get(name)
        if isinstance(value, (str, int)) and str(value).strip():
            return str(value)
    raise BadRequest(f"champ manquant : {' ou '.join(names)}")


def _text(fields: dict, *names: str) -> str:
    for name in names:
        if name in fields:
            value = fields[name]
            if value is None or isinstance(value, (dict, list)):
                raise BadRequest(f"champ {name} : texte attendu")
            return str(value)
    raise BadRequest(f"champ manquant : {' ou '.join(names)}")


def _phone(urn: object) -> str | None:
    if isinstance(urn, dict):  # RapidPro input.urn: {"scheme", "path", "display"}
        scheme, path = urn.get("scheme"), urn.get("path")
        return f"{scheme}:{path}" if scheme and scheme != "tel" and path else path
    if isinstance(urn, str) and urn.strip():
        return urn.strip().removeprefix("tel:")
    return None


def _optional_text(fields: dict, *names: str) -> str:
    """The text body, "" when the callback has none (an MMS, a media-only message): kept, not refused."""
    try:
        return _text(fields, *names)
    except BadRequest as exc:
        if str(exc).startswith("champ manquant"):
            return ""
        raise


def sent_time(value: object) -> str | None:
    """The gateway's own sent time as ISO UTC with Z: ISO 8601 (without a zone: UTC, as gateways stamp
    their servers' clock) or RFC 2822 (Twilio's API dates); None when absent or unreadable (the time of
    receipt then stands in)."""
    if not isinstance(value, (str, int, float)) or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _media_urls(values: list) -> list[str]:
    """http(s) links of a message's attachments (RapidPro `"image/jpeg:https://…"` or `{"url": …}`)."""
    urls = []
    for value in values:
        url = value.get("url") if isinstance(value, dict) else value
        if isinstance(url, str):
            url = url.strip()
            if ":" in url and not url.lower().startswith(("http://", "https://")):
                url = url.split(":", 1)[1]  # "<content type>:<url>"
            if url.lower().startswith(("http://", "https://")):
                urls.append(url)
    return urls


def parse_rapidpro(body: bytes, content_type: str) -> dict:
    fields = _fields(body, content_type)
    inp = fields.get("input") if isinstance(fields.get("input"), dict) else {}
    contact = fields.get("contact") if isinstance(fields.get("contact"), dict) else {}
    run = fields.get("run") if isinstance(fields.get("run"), dict) else {}
    text = inp.get("text") if "text" in inp else _optional_text(fields, "text", "message", "body")
    if text is None and "text" in inp:
        text = ""
    if not isinstance(text, str):
        raise BadRequest("champ input.text : texte attendu")
    sender = (_phone(contact.get("urn")) or _phone(inp.get("urn"))
              or _phone(fields.get("from")) or _phone(fields.get("urn")) or _phone(fields.get("phone")))
    if not sender:
        raise BadRequest("champ manquant : contact.urn (ou from, urn, phone)")
    message_id = inp.get("uuid") or fields.get("id") or fields.get("message_id") or run.get("uuid")
    if not message_id:
        # Without an id, the same sender and text always get the same one, so a retry stays one report.
        message_id = "h" + hashlib.sha256(f"{sender}\x1f{text}".encode()).hexdigest()[:20]
    attachments = inp.get("attachments") if isinstance(inp.get("attachments"), list) else []
    return {"message_id": str(message_id), "from": sender, "text": text,
            "sent_at": sent_time(inp.get("created_on") or fields.get("created_on") or fields.get("sent_on")),
            "media": _media_urls(attachments)}


def parse_twilio(body: bytes, content_type: str) -> dict:
    fields = _fields(body, content_type)
    try:
        n_media = min(int(fields.get("NumMedia") or 0), 10)  # Twilio sends at most 10
    except ValueError:
        n_media = 0
    return {
        "message_id": _required(fields, "MessageSid", "SmsSid"),
        "from": _required(fields, "From"),
        "text": _optional_text(fields, "Body"),
        "sent_at": sent_time(fields.get("DateSent") or fields.get("DateCreated")),
        "media": _media_urls([fields.get(f"MediaUrl{i}") for i in range(n_media)]),
    }


def parse_africastalking(body: bytes, content_type: str) -> dict:
    fields = _fields(body, content_type)
    return {
        "message_id": _required(fields, "id"),
        "from": _required(fields, "from"),
        "text": _optional_text(fields, "text"),
        "sent_at": sent_time(fields.get("date")),
        "media": [],
    }


PROVIDERS = {
    "/sms/rapidpro": ("rapidpro", parse_rapidpro),
    "/sms/twilio": ("twilio", parse_twilio),
    "/sms/africastalking": ("africastalking", parse_africastalking),
}


def inbox_record(provider: str, message: dict, received_at: dt.datetime | None = None) -> bytes:
    received = (received_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    record = {
        "provider": provider,
        "message_id": message["message_id"],
        "from": message["from"],
        "text": message["text"],
        "received_at": received.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if message.get("sent_at"):
        record["sent_at"] = message["sent_at"]
    if message.get("media"):
        record["media"] = message["media"]
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


# -- HTTP -----------------------------------------------------------------------------------------


class WebhookServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, inbox: Path, secret: str | None, bucket: TokenBucket, trust_proxy: bool = False):
        super().__init__(address, WebhookHandler)
        self.inbox = inbox
        self.secret = secret or None
        self.bucket = bucket
        self.trust_proxy = trust_proxy


class WebhookHandler(BaseHTTPRequestHandler):
    server: WebhookServer
    timeout = 15  # seconds per socket read: a client that stalls does not hold a thread
    server_version = "vigie-webhook"
    sys_version = ""

    # -- entry points
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if not self.server.secret:
            return self._reply(503, {"erreur": "secret du webhook non configuré (VIGIE_WEBHOOK_SECRET)"})
        if urlsplit(self.path).path == "/health":
            return self._reply(200, {"ok": True})
        if urlsplit(self.path).path in PROVIDERS:
            return self._reply(405, {"erreur": "méthode POST attendue"})
        return self._reply(404, {"erreur": "adresse inconnue"})

    def do_POST(self) -> None:  # noqa: N802
        try:
            self._post()
        except Exception:  # noqa: BLE001 - a bug must answer 500, never kill the receiver
            log.exception("erreur interne sur %s", urlsplit(self.path).path)
            self._reply(500, {"erreur": "erreur interne"})

    def _post(self) -> None:
        url = urlsplit(self.path)
        if not self.server.secret:
            return self._refuse(503, "secret du webhook non configuré (VIGIE_WEBHOOK_SECRET)")
        route = PROVIDERS.get(url.path.rstrip("/") or "/")
        if route is None:
            return self._refuse(404, "adresse inconnue")
        if not self.server.bucket.allow(self._client()):
            return self._refuse(429, "trop de requêtes : réessayer plus tard", {"Retry-After": "1"})
        given = self.headers.get(SECRET_HEADER)
        if given is None:
            given = (parse_qs(url.query).get("secret") or [None])[0]
        if not given:
            return self._refuse(401, "secret manquant (en-tête X-Vigie-Secret ou paramètre secret)")
        if not hmac.compare_digest(given.encode("utf-8"), self.server.secret.encode("utf-8")):
            return self._refuse(403, "secret refusé")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._refuse(411, "Content-Length requis (envoi fragmenté non accepté)")
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return self._refuse(411, "Content-Length requis")
        try:
            length = int(length_header)
            if length < 0:
                raise ValueError
        except ValueError:
            return self._refuse(400, "Content-Length invalide")
        if length > MAX_BODY:
            return self._refuse(413, f"corps trop grand ({length} octets, maximum {MAX_BODY})", length=length)
        body = self.rfile.read(length)
        if len(body) != length:
            return self._reply(400, {"erreur": "corps de requête incomplet"})
        provider, parse_body = route
        try:
            message = parse_body(body, self.headers.get("Content-Type", ""))
        except BadRequest as exc:
            return self._reply(400, {"erreur": str(exc)})
        record = inbox_record(provider, message)
        name = f"{provider}-{safe_name(message['message_id'], 60)}{INBOX_SUFFIX}"
        try:
            drop_bytes(self.server.inbox, record, name, source="sms")
        except OSError as exc:
            log.error("boîte de réception illisible ou pleine : %s", exc)
            return self._reply(500, {"erreur": "écriture impossible dans la boîte de réception"})
        if provider == "twilio":
            return self._send(200, TWIML_EMPTY, "text/xml; charset=utf-8")
        return self._reply(200, {"ok": True, "message_id": message["message_id"]})

    # -- helpers
    def _client(self) -> str:
        if self.server.trust_proxy:
            forwarded = self.headers.get("X-Forwarded-For", "").split(",")[0].strip()
            if forwarded:
                return forwarded
        return self.client_address[0]

    def _refuse(self, status: int, reason: str, headers: dict | None = None, length: int | None = None) -> None:
        """Answer before reading the body: read (and drop) a reasonable body first so the client sees it."""
        try:
            declared = length if length is not None else int(self.headers.get("Content-Length") or 0)
        except ValueError:
            declared = 0
        if 0 < declared <= DRAIN_LIMIT:
            try:
                remaining = declared
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            except OSError:
                pass
        self.close_connection = True
        self._reply(status, {"erreur": reason}, headers)

    def _reply(self, status: int, payload: dict, headers: dict | None = None) -> None:
        body = json.dumps({"ok": status == 200, **payload}, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", headers)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True  # the client went away: nothing to answer to

    def log_request(self, code="-", size="-") -> None:
        # The path only: the query may hold the secret, and bodies hold phone numbers.
        log.info("%s %s %s %s", self.client_address[0], self.command, urlsplit(self.path).path, code)

    def log_error(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        log.warning("%s %s", self.client_address[0], format % args)


# -- command line ---------------------------------------------------------------------------------


def make_server(host: str, port: int, inbox: Path, secret: str | None, rate: float, burst: int,
                trust_proxy: bool = False) -> WebhookServer:
    return WebhookServer((host, port), inbox, secret, TokenBucket(rate, burst), trust_proxy)


def configured_secret() -> str | None:
    """VIGIE_WEBHOOK_SECRET, else the secret `make run` generated into the state folder (webhook-secret),
    so the receiver started on its own agrees with the one the app started; None when there is neither."""
    secret = os.environ.get(SECRET_ENV, "").strip()
    if secret:
        return secret
    from vigie.config import load_settings

    path = load_settings().home / "webhook-secret"
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    from vigie.config import load_settings

    p = argparse.ArgumentParser(prog="python -m vigie.webhook", description="Récepteur de SMS entrants pour Vigie")
    p.add_argument("--host", default=os.environ.get("VIGIE_WEBHOOK_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("VIGIE_WEBHOOK_PORT", DEFAULT_PORT)),
                   help="0 : un port libre, affiché au démarrage")
    p.add_argument("--inbox", type=Path, default=None, help="boîte de réception (par défaut celle de VIGIE_HOME)")
    # Generous by default: a gateway posts every message from a few addresses, and Twilio does not
    # retry a refused callback unless told to (connection overrides): a tight limit would lose reports.
    p.add_argument("--rate", type=float, default=50.0, help="requêtes par seconde et par adresse")
    p.add_argument("--burst", type=int, default=500, help="rafale permise par adresse")
    p.add_argument("--trust-proxy", action="store_true", help="limiter par X-Forwarded-For (derrière un proxy)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    inbox = args.inbox or load_settings().inbox
    inbox.mkdir(parents=True, exist_ok=True)
    secret = configured_secret()
    if not secret:
        log.warning("%s n'est pas défini : toutes les requêtes seront refusées (503)", SECRET_ENV)
    server = make_server(args.host, args.port, inbox, secret, args.rate, args.burst, args.trust_proxy)
    host, port = server.server_address[:2]
    print(f"vigie.webhook : écoute sur http://{host}:{port} → {inbox}", flush=True)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
