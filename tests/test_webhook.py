"""The SMS webhook receiver as a real process on a loopback port, fed the way the gateways call it."""

from __future__ import annotations

import http.client
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from vigie.ingest.inbox import pending, process_inbox

SECRET = "s3cret-de-test-vigie"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Receiver:
    proc: subprocess.Popen
    port: int
    inbox: Path

    def url(self, path: str, secret: str | None = SECRET) -> str:
        query = f"?{urllib.parse.urlencode({'secret': secret})}" if secret is not None else ""
        return f"http://127.0.0.1:{self.port}{path}{query}"

    def files(self) -> list[Path]:
        return pending(self.inbox)


def start_receiver(inbox: Path, secret: str | None, rate: float = 1000, burst: int = 1000) -> Receiver:
    env = {k: v for k, v in os.environ.items() if k != "VIGIE_WEBHOOK_SECRET"}
    if secret is not None:
        env["VIGIE_WEBHOOK_SECRET"] = secret
    proc = subprocess.Popen(
        [sys.executable, "-m", "vigie.webhook", "--port", "0", "--inbox", str(inbox),
         "--rate", str(rate), "--burst", str(burst)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    try:
        line = lines.get(timeout=30)
    except queue.Empty:
        proc.kill()
        pytest.fail("le récepteur n'a pas démarré en 30 s")
    port = int(line.split("http://127.0.0.1:")[1].split()[0])
    return Receiver(proc, port, inbox)


def stop_receiver(receiver: Receiver) -> None:
    receiver.proc.terminate()
    try:
        receiver.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        receiver.proc.kill()


def post(url: str, body: bytes, content_type: str = "application/x-www-form-urlencoded",
         headers: dict | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def twilio(sid: str, sender: str, text: str) -> bytes:
    return form(ToCountry="BJ", MessageSid=sid, SmsSid=sid, AccountSid="AC" + "0" * 32, From=sender,
                To="+22900990000", Body=text, NumMedia="0", ApiVersion="2010-04-01")


def rapidpro(uuid: str, urn: str, text: str) -> bytes:
    return json.dumps({
        "contact": {"uuid": "5d76d86b-3bb9-4d5a-b822-c9d86f5d8e4f", "name": "Observateur", "urn": urn},
        "flow": {"uuid": "8f0a5c2e-1d3b-4e6f-9a7b-2c4d6e8f0a1b", "name": "Signalement"},
        "path": [], "results": {},
        "run": {"uuid": "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "created_on": "2023-01-07T10:29:58.000000Z"},
        "input": {"uuid": uuid, "type": "msg", "text": text, "attachments": [],
                  "urn": {"scheme": "tel", "path": urn.removeprefix("tel:"), "display": ""},
                  "created_on": "2023-01-07T10:29:57.000000Z"},
        "channel": {"uuid": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "name": "Vigie SMS"},
    }).encode()


@pytest.fixture(scope="module")
def receiver(tmp_path_factory):
    r = start_receiver(tmp_path_factory.mktemp("webhook") / "inbox", SECRET)
    yield r
    stop_receiver(r)


@pytest.fixture(autouse=True)
def _empty_inbox(request):
    if "receiver" in request.fixturenames:
        inbox = request.getfixturevalue("receiver").inbox
        for p in pending(inbox):
            p.unlink()


# -- good messages -----------------------------------------------------------------------------------


def test_messages_from_each_gateway_land_in_the_inbox_and_are_ingested(receiver, settings, store):
    status, headers, body = post(receiver.url("/sms/twilio"),
                                 twilio("SM11111111111111111111111111111111", "+22900000011",
                                        "VIO ABOMEY-CALAVI affrontements entre militants à Godomey"))
    assert status == 200 and headers["Content-Type"].startswith("text/xml")
    assert body == b'<?xml version="1.0" encoding="UTF-8"?><Response/>'

    status, _, body = post(receiver.url("/sms/africastalking", secret=None),
                           form(date="2023-01-06 17:02:41", **{"from": "+22900000012"}, id="ATXid_4b9c2e1f",
                                linkId="SampleLinkId123", text="ach bohicon argent distribué", to="21234",
                                networkCode="61602"),
                           headers={"X-Vigie-Secret": SECRET})
    assert status == 200 and json.loads(body)["ok"] is True

    status, _, _ = post(receiver.url("/sms/rapidpro"),
                        rapidpro("f0a1b2c3-d4e5-4f60-8172-8394a5b6c7d8", "tel:+22900000013",
                                 "MEN Grand Popo des jeunes menacent les agents de la CENA"),
                        content_type="application/json")
    assert status == 200
    # Twilio retries a callback it thinks failed: same MessageSid.
    status, _, _ = post(receiver.url("/sms/twilio"),
                        twilio("SM11111111111111111111111111111111", "+22900000011",
                               "VIO ABOMEY-CALAVI affrontements entre militants à Godomey"))
    assert status == 200

    files = receiver.files()
    assert len(files) == 4 and all(f.name.endswith(".sms.jsonl") and "__sms__" in f.name for f in files)
    records = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    assert {r["provider"] for r in records} == {"twilio", "africastalking", "rapidpro"}
    assert all(set(r) - {"sent_at"} == {"provider", "message_id", "from", "text", "received_at"} for r in records)
    assert {r["from"] for r in records} == {"+22900000011", "+22900000012", "+22900000013"}  # "tel:" removed
    assert all(r["received_at"].endswith("Z") for r in records)

    # The files are ordinary inbox files: the server's ingest thread reads them.
    for f in files:
        shutil.copy(f, settings.inbox / f.name)
    results = process_inbox(store, settings)
    # The retry is a duplicate report, or, when it came within the same second, an identical file.
    assert sum(r.accepted for r in results) == 3
    assert sum(r.duplicate for r in results) + sum(r.already_done for r in results) == 1
    rows = dict(store.raw_cursor().execute(
        "select source_ref, commune_code || '/' || category from reports where source = 'sms'").fetchall())
    assert rows == {
        "twilio:SM11111111111111111111111111111111": "0301/violence",
        "africastalking:ATXid_4b9c2e1f": "1203/achat_conscience",
        "rapidpro:f0a1b2c3-d4e5-4f60-8172-8394a5b6c7d8": "0904/menace",
    }


def test_health_answers(receiver):
    with urllib.request.urlopen(f"http://127.0.0.1:{receiver.port}/health", timeout=5) as resp:
        assert resp.status == 200


# -- refusals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url_secret, header_secret, expected", [
    (None, None, 401),
    ("mauvais", None, 403),
    (None, "mauvais", 403),
    ("", None, 401),
    (SECRET + "x", None, 403),
])
def test_missing_or_wrong_secret_is_refused(receiver, url_secret, header_secret, expected):
    headers = {"X-Vigie-Secret": header_secret} if header_secret is not None else {}
    status, _, body = post(receiver.url("/sms/twilio", secret=url_secret),
                           twilio("SM2", "+22900000020", "VIO COTONOU test"), headers=headers)
    assert status == expected and json.loads(body)["ok"] is False
    assert receiver.files() == []


def test_oversize_body_is_refused(receiver):
    status, _, body = post(receiver.url("/sms/twilio"), twilio("SM3", "+22900000030", "x" * 70_000))
    assert status == 413 and "trop grand" in json.loads(body)["erreur"]
    assert receiver.files() == []


@pytest.mark.parametrize("path, body, content_type, reason", [
    ("/sms/twilio", form(Body="VIO COTONOU", MessageSid="SM4"), "application/x-www-form-urlencoded", "From"),
    ("/sms/twilio", form(From="+22900000040", Body="VIO COTONOU"), "application/x-www-form-urlencoded", "MessageSid"),
    ("/sms/africastalking", form(id="AT5", text="VIO COTONOU"), "application/x-www-form-urlencoded", "from"),
    ("/sms/africastalking", b"from=%2B229&text=\xff\xfe&id=AT6", "application/x-www-form-urlencoded", "UTF-8"),
    ("/sms/rapidpro", b'{"contact": {"urn": "tel:+229"}, "input": {"text": "VIO', "application/json", "JSON"),
    ("/sms/rapidpro", b'["VIO COTONOU"]', "application/json", "objet"),
    ("/sms/rapidpro", b'{"input": {"text": "VIO COTONOU"}}', "application/json", "urn"),
    ("/sms/rapidpro", b'{"contact": {"urn": "tel:+229"}, "input": {"text": 42}}', "application/json", "texte"),
])
def test_malformed_input_gets_400_with_the_reason(receiver, path, body, content_type, reason):
    status, _, answer = post(receiver.url(path), body, content_type)
    assert status == 400
    assert reason in json.loads(answer)["erreur"]
    assert receiver.files() == []


def test_unknown_path_method_and_chunked_body(receiver):
    assert post(receiver.url("/sms/inconnu"), b"x=1")[0] == 404
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(receiver.url("/sms/twilio"), timeout=5)
    assert err.value.code == 405
    conn = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=5)
    conn.request("POST", f"/sms/twilio?secret={SECRET}", body=iter([b"From=%2B229&Body=x"]),
                 headers={"Content-Type": "application/x-www-form-urlencoded"}, encode_chunked=True)
    assert conn.getresponse().status == 411
    conn.close()
    # After all that, the receiver is still up.
    assert receiver.proc.poll() is None
    with urllib.request.urlopen(f"http://127.0.0.1:{receiver.port}/health", timeout=5) as resp:
        assert resp.status == 200


def test_a_burst_from_one_address_is_limited(tmp_path):
    r = start_receiver(tmp_path / "inbox", SECRET, rate=0.5, burst=3)
    try:
        statuses = []
        for i in range(8):
            status, headers, _ = post(r.url("/sms/twilio"), twilio(f"SM9{i}", "+22900000090", f"VIO COTONOU n°{i}"))
            statuses.append(status)
            if status == 429:
                assert headers.get("Retry-After") == "1"
        assert statuses[:3] == [200, 200, 200]
        assert statuses.count(429) >= 4
        assert len(r.files()) == statuses.count(200)
        time.sleep(2.1)  # the bucket refills at 0.5 per second
        assert post(r.url("/sms/twilio"), twilio("SM99", "+22900000090", "VIO COTONOU encore"))[0] == 200
    finally:
        stop_receiver(r)


def test_without_a_configured_secret_everything_is_refused(tmp_path):
    r = start_receiver(tmp_path / "inbox", secret=None)
    try:
        assert post(r.url("/sms/twilio"), twilio("SM7", "+22900000070", "VIO COTONOU"))[0] == 503
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{r.port}/health", timeout=5)
        assert err.value.code == 503
        assert r.files() == []
    finally:
        stop_receiver(r)
