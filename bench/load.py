"""N concurrent viewer sessions against app replica processes, over Streamlit's own protocol.

A browser per viewer would measure Chromium on a 2-core machine, not the replicas: each viewer here is
what a browser tab is to the server, a WebSocket on `/_stcore/stream` that sends `rerun_script` back
messages (the protobufs of the installed Streamlit) and reads forward messages until `script_finished`.
The server runs the whole page for it: login from the signed cookie the handshake carries (the same
`vigie_session` cookie a browser keeps, signed with the replicas' shared `VIGIE_SESSION_SECRET`), the
role's views, the queries, every element serialised and sent. A page counts from the rerun sent to its
`script_finished`; a page that ends in an exception or an error box counts as failed, never as fast.
A viewer sends no widget states back (a browser echoes every widget's value): each run sees the sidebar
filters at their defaults, which is what a viewer who never touches a filter asks of the server.

The load balancer is sticky by session, as the README asks of one: viewer k talks to replica k mod R.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The pages a journalist browses, by their url path ("" is the default page, the overview).
PAGES = ("", "carte", "chronologie", "incidents")


@dataclass
class Outcome:
    times: list[float] = field(default_factory=list)  # seconds per page, every viewer
    failed: list[str] = field(default_factory=list)  # why a page failed, per failed page
    elements: list[set[str]] = field(default_factory=list)  # the kinds of element each good page drew
    seconds: float = 0.0  # wall time of the whole run

    @property
    def pages(self) -> int:
        return len(self.times) + len(self.failed)


def _rerun(page: str, url: str) -> bytes:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    state = msg.rerun_script
    state.page_name = page
    state.query_string = ""
    state.context_info.timezone = "Africa/Porto-Novo"
    state.context_info.timezone_offset = -60
    state.context_info.locale = "fr-FR"
    state.context_info.url = f"{url}/{page}"
    return msg.SerializeToString()


def _failure(msg) -> str | None:
    """Why a forward message says the page failed (an exception, an error box), or None."""
    if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return None
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        return f"exception: {element.exception.type}: {element.exception.message[:120]}"
    if kind == "alert" and element.alert.format == 1:  # Alert.Format.ERROR
        return f"error: {element.alert.body[:120]}"
    if kind == "text_input" and element.text_input.type == 1:  # TextInput.PASSWORD: the login form
        return "login form: the cookie opened no session"
    return None


async def _viewer(port: int, cookie: str, pages: list[str], start_after: float, think: list[float],
                  outcome: Outcome, timeout: float) -> None:
    import websockets
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    await asyncio.sleep(start_after)
    base = f"http://127.0.0.1:{port}"
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                      additional_headers={"Cookie": f"vigie_session={cookie}"},
                                      max_size=None, open_timeout=timeout, ping_interval=None) as ws:
            for page, pause in zip(pages, think):
                started = time.perf_counter()
                await ws.send(_rerun(page, base))
                failure, kinds = None, set()
                while True:
                    msg = ForwardMsg.FromString(await asyncio.wait_for(ws.recv(), timeout))
                    failure = failure or _failure(msg)
                    if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
                        kinds.add(msg.delta.new_element.WhichOneof("type"))
                    if msg.WhichOneof("type") == "page_not_found":
                        failure = failure or f"page not found: /{page}"
                    if msg.WhichOneof("type") == "script_finished":
                        if msg.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                            failure = failure or f"script finished: {msg.script_finished}"
                        break
                if failure:
                    outcome.failed.append(f"/{page}: {failure}")
                else:
                    outcome.times.append(time.perf_counter() - started)
                    outcome.elements.append(kinds)
                await asyncio.sleep(pause)
    except (OSError, asyncio.TimeoutError, Exception) as exc:  # noqa: BLE001 - a viewer that fails is counted
        outcome.failed.append(f"session: {type(exc).__name__}: {exc}"[:200])


def run_viewers(ports: list[int], cookie: str, sessions: int, pages_each: int, seed: int = 7,
                ramp: float = 2.0, think: tuple[float, float] = (0.5, 1.5), timeout: float = 60.0,
                first_page: str | None = None) -> Outcome:
    """`sessions` viewers, viewer k on ports[k % len(ports)], arriving over `ramp` seconds, each opening
    `pages_each` pages of PAGES in turn (viewer k from its k-th, or all from `first_page`) with `think`
    seconds between them (uniform: a person reading)."""
    rng = random.Random(seed)
    outcome = Outcome()
    plans = []
    for k in range(sessions):
        first = PAGES.index(first_page) if first_page is not None else k % len(PAGES)
        pages = [PAGES[(first + j) % len(PAGES)] for j in range(pages_each)]
        plans.append((ports[k % len(ports)], pages, rng.uniform(0, ramp), [rng.uniform(*think) for _ in pages]))

    async def main():
        await asyncio.gather(*(_viewer(port, cookie, pages, after, pauses, outcome, timeout)
                               for port, pages, after, pauses in plans))

    started = time.perf_counter()
    # A loop of its own in a thread of its own: the caller's thread may already run one (Playwright's sync
    # API keeps a loop running in the thread that uses it, as in the browser tests of the same session).
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="viewers") as pool:
        pool.submit(asyncio.run, main()).result()
    outcome.seconds = time.perf_counter() - started
    return outcome


class Replicas:
    """`python -m vigie serve --replica` processes over one lake, each with a home of its own."""

    def __init__(self, work: Path, env: dict[str, str], count: int):
        from tests.lake_fixtures import free_port

        self.procs: list[subprocess.Popen] = []
        self.ports = [free_port() for _ in range(count)]
        self.logs = []
        for k, port in enumerate(self.ports):
            home = work / f"replica-{k}" / "state"
            home.mkdir(parents=True, exist_ok=True)
            log = open(work / f"replica-{k}.log", "ab")
            self.logs.append(log)
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "vigie", "serve", "--replica", "--port", str(port)], cwd=ROOT,
                env={**env, "VIGIE_HOME": str(home)}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for port, proc in zip(self.ports, self.procs):
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"replica on port {port} exited with {proc.returncode}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"replica on port {port} not healthy after {timeout:.0f} s")
                time.sleep(0.3)

    def rss(self) -> list[int]:
        """Resident memory of each replica's process tree (`vigie serve` and its Streamlit), in bytes."""
        parents: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))

        def tree(pid: int) -> int:
            try:
                text = Path(f"/proc/{pid}/status").read_text()
                own = int(next(line.split()[1] for line in text.splitlines() if line.startswith("VmRSS"))) * 1024
            except (OSError, StopIteration):
                own = 0
            return own + sum(tree(child) for child in parents.get(pid, []))

        return [tree(proc.pid) for proc in self.procs]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        for log in self.logs:
            log.close()


def journalist_cookie(secret: str) -> str:
    """A signed session cookie for the fixture journalist (tests/fixtures/users.toml)."""
    from vigie import sessions
    from vigie.auth import User

    _session, token = sessions.issue(secret.encode(), User("journaliste", "Journaliste (test)", "journalist", ""),
                                     3600)
    return token
