"""Notifications out: the alerts raised by one evaluation pass go out as ONE grouped message per channel,
by e-mail (SMTP, to a list of recipients) and as a JSON POST to a webhook.

A message lists at most VIGIE_NOTIFY_MAX_ALERTS alerts and counts the rest, so a flood of a thousand
alerts is one e-mail and one webhook call, not a thousand. Every attempt is a row of alert_deliveries
(insert-only); a failed attempt is retried after VIGIE_NOTIFY_BACKOFF_SECONDS, doubled at each try, and
abandoned after VIGIE_NOTIFY_MAX_TRIES. Sending happens in the alert thread, outside the store's write
lock and with a timeout: a dead mail server never holds up ingestion.

| variable | default | meaning |
|---|---|---|
| VIGIE_ALERT_EMAILS | (none) | recipients, separated by commas; none: no e-mail |
| VIGIE_SMTP_HOST / VIGIE_SMTP_PORT | localhost / 25 | the SMTP server |
| VIGIE_SMTP_USER / VIGIE_SMTP_PASSWORD | (none) | login, when the server asks for one |
| VIGIE_SMTP_STARTTLS | 0 | 1: upgrade the connection with STARTTLS before logging in |
| VIGIE_ALERT_FROM | vigie@localhost | sender address |
| VIGIE_ALERT_WEBHOOK_URL | (none) | http(s) address that receives the JSON; none: no webhook |
| VIGIE_NOTIFY_MAX_ALERTS | 20 | alerts listed in one message (the others are counted) |
| VIGIE_NOTIFY_MAX_TRIES | 5 | tries before a notification is abandoned |
| VIGIE_NOTIFY_BACKOFF_SECONDS | 30 | wait before the first retry, doubled at each further one |
| VIGIE_NOTIFY_TIMEOUT | 10 | seconds allowed to one SMTP or HTTP exchange |
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import smtplib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage

import pandas as pd

from vigie import sql
from vigie.store import Store

log = logging.getLogger(__name__)

ROLE = "operator"
MAX_DUE_PER_PASS = 10  # a backlog of failed notifications is worked through over several passes


@dataclass(frozen=True)
class NotifyConfig:
    emails: tuple[str, ...] = ()
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    starttls: bool = False
    sender: str = "vigie@localhost"
    webhook_url: str | None = None
    max_alerts: int = 20
    max_tries: int = 5
    backoff_seconds: float = 30.0
    timeout: float = 10.0

    @classmethod
    def from_env(cls) -> "NotifyConfig":
        env = os.environ.get
        url = (env("VIGIE_ALERT_WEBHOOK_URL") or "").strip() or None
        if url and urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            log.warning("VIGIE_ALERT_WEBHOOK_URL is not an http(s) address; no webhook")
            url = None
        return cls(
            emails=tuple(a.strip() for a in (env("VIGIE_ALERT_EMAILS") or "").split(",") if a.strip()),
            smtp_host=env("VIGIE_SMTP_HOST") or "localhost",
            smtp_port=_number("VIGIE_SMTP_PORT", 25, int),
            smtp_user=env("VIGIE_SMTP_USER") or None,
            smtp_password=env("VIGIE_SMTP_PASSWORD") or None,
            starttls=(env("VIGIE_SMTP_STARTTLS") or "").strip().lower() in {"1", "true", "yes", "oui"},
            sender=env("VIGIE_ALERT_FROM") or "vigie@localhost",
            webhook_url=url,
            max_alerts=max(1, _number("VIGIE_NOTIFY_MAX_ALERTS", 20, int)),
            max_tries=max(1, _number("VIGIE_NOTIFY_MAX_TRIES", 5, int)),
            backoff_seconds=max(0.0, _number("VIGIE_NOTIFY_BACKOFF_SECONDS", 30.0, float)),
            timeout=max(0.1, _number("VIGIE_NOTIFY_TIMEOUT", 10.0, float)),
        )

    @property
    def channels(self) -> list[str]:
        return (["email"] if self.emails else []) + (["webhook"] if self.webhook_url else [])

    def target(self, channel: str) -> str:
        if channel == "email":
            return ", ".join(self.emails)
        parts = urllib.parse.urlsplit(self.webhook_url or "")
        return urllib.parse.urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))  # no token

    def backoff(self, attempt: int) -> dt.timedelta:
        """Wait after the `attempt`-th failed try: backoff, 2 × backoff, 4 × backoff, ..."""
        return dt.timedelta(seconds=self.backoff_seconds * 2 ** (attempt - 1))


def _number(name: str, default, kind):
    raw = (os.environ.get(name) or "").strip()
    try:
        return kind(raw) if raw else default
    except ValueError:
        log.warning("%s is not a number; %s used", name, default)
        return default


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def queue(store: Store, cur, alert_ids: list[int], config: NotifyConfig, at: dt.datetime) -> None:
    """Inside the transaction that raised `alert_ids`: one pending notification for every channel."""
    channels = config.channels
    if not alert_ids or not channels:
        return
    notification_id = store.next_ids("alert_delivery_seq", 1, cur)[0]
    rows = pd.DataFrame({
        "delivery_id": store.next_ids("alert_delivery_seq", len(channels), cur),
        "notification_id": notification_id, "channel": channels,
        "target": [config.target(c) for c in channels], "alert_ids": [list(alert_ids)] * len(channels),
        "attempt": 0, "at_time": at, "status": "pending", "next_try_at": at,
        "error": pd.Series([None] * len(channels), dtype="string"),
    })
    _insert(cur, rows)


def _insert(cur, rows: pd.DataFrame) -> None:
    cur.register("new_deliveries", rows)
    cur.execute("""insert into alert_deliveries
                   select delivery_id, notification_id, channel, target, alert_ids, attempt, at_time, status,
                          next_try_at, error
                   from new_deliveries""")
    cur.unregister("new_deliveries")


# -- the message ------------------------------------------------------------------------------------
def payload(alerts: pd.DataFrame, config: NotifyConfig, notification_id: int) -> dict:
    shown = alerts.head(config.max_alerts)
    return {
        "source": "vigie",
        "notification_id": int(notification_id),
        "n_alerts": int(len(alerts)),
        "n_more": int(len(alerts) - len(shown)),
        "alerts": [
            {"alert_id": int(a.alert_id), "rule": a.rule, "title": a.title, "title_en": a.title_en,
             "commune_code": a.commune_code if isinstance(a.commune_code, str) else None,
             "raised_at": a.raised_at.isoformat() + "Z",
             "detail": json.loads(a.detail) if isinstance(a.detail, str) else None}
            for a in shown.itertuples(index=False)
        ],
    }


def email_message(body: dict, config: NotifyConfig) -> EmailMessage:
    n = body["n_alerts"]
    msg = EmailMessage()
    msg["Subject"] = f"[Vigie] {n} nouvelle{'s' if n > 1 else ''} alerte{'s' if n > 1 else ''}"
    msg["From"] = config.sender
    msg["To"] = ", ".join(config.emails)
    lines = [f"Vigie : {n} nouvelle(s) alerte(s) / {n} new alert(s)", ""]
    lines += [f"- n° {a['alert_id']} : {a['title']}" for a in body["alerts"]]
    if body["n_more"]:
        lines += ["", f"… et {body['n_more']} autre(s) alerte(s), sur la page Alertes de Vigie."]
    lines += ["", "Acquittez-les sur la page Alertes de Vigie. / Acknowledge them on Vigie's Alertes page."]
    msg.set_content("\n".join(lines))
    return msg


def send_email(body: dict, config: NotifyConfig) -> None:
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout) as smtp:
        if config.starttls:
            smtp.starttls()
        if config.smtp_user:
            smtp.login(config.smtp_user, config.smtp_password or "")
        smtp.send_message(email_message(body, config))


def send_webhook(body: dict, config: NotifyConfig) -> None:
    request = urllib.request.Request(
        config.webhook_url or "", data=json.dumps(body, ensure_ascii=False).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "vigie-alerts"})
    # A redirect is not followed into another scheme: urllib only follows http(s) redirects anyway.
    with urllib.request.urlopen(request, timeout=config.timeout) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"HTTP {response.status}")


SENDERS = {"email": send_email, "webhook": send_webhook}


# -- delivering -------------------------------------------------------------------------------------
def deliver_due(store: Store, config: NotifyConfig, now: dt.datetime | None = None) -> int:
    """Try every notification whose next try is due; returns how many tries were made. The sending is
    done without the write lock; each outcome is appended afterwards."""
    now = now or _utcnow()
    due = sql.run(store, ROLE, "alert_deliveries_state", {"due_before": now, "limit": MAX_DUE_PER_PASS})
    if due.empty:
        return 0
    outcomes = []
    for row in due.itertuples(index=False):
        attempt = int(row.attempt) + 1
        ids = [int(i) for i in row.alert_ids]
        error = None
        if row.channel not in config.channels:
            error = "canal non configuré"
        else:
            try:
                alerts = sql.run(store, ROLE, "alerts_by_id", {"ids": ids})
                SENDERS[row.channel](payload(alerts, config, row.notification_id), config)
            except Exception as exc:  # noqa: BLE001 - any failure of the far end is a failed try
                error = f"{type(exc).__name__}: {exc}"[:500]
        at = now  # the pass's time: retries are scheduled from it (and tests can move it)
        if error is None:
            status, next_try = "sent", None
        elif attempt >= config.max_tries or row.channel not in config.channels:
            status, next_try = "abandoned", None
        else:
            status, next_try = "failed", at + config.backoff(attempt)
        if error:
            log.warning("notification %s by %s, try %d: %s", row.notification_id, row.channel, attempt, error)
        outcomes.append({"notification_id": int(row.notification_id), "channel": row.channel,
                         "target": config.target(row.channel) if row.channel in config.channels else row.target,
                         "alert_ids": ids, "attempt": attempt, "at_time": at, "status": status,
                         "next_try_at": next_try, "error": error})
    rows = pd.DataFrame(outcomes)
    rows["next_try_at"] = pd.to_datetime(rows["next_try_at"])
    rows["error"] = rows["error"].astype("string")
    with store.write_lock:
        store.transact(lambda cur: _insert(cur, rows.assign(
            delivery_id=store.next_ids("alert_delivery_seq", len(rows), cur))), "alerts")
        store.bump()
    return len(outcomes)
