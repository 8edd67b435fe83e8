"""One local Prefect API per ``PREFECT_HOME``, shared by every ``mumu`` on the machine.

Without ``PREFECT_API_URL``, Prefect starts a temporary API in each process that runs a
flow: its server's imports and its database's check cost most of the seconds a short
``mumu run`` takes, and several runs at once each started their own on one SQLite file
and timed out. So the first run starts one API for the ``PREFECT_HOME`` (in a session of
its own, so the terminal's Ctrl-C or a ``kill`` of the run does not take it with it), and
every later or simultaneous run uses it: a file lock lets one start it while the others
wait for it. It exits by itself after ``MUMU_LOCAL_API_IDLE_S`` seconds without a request
or a connection, so nothing is left running for long. Against a configured
``PREFECT_API_URL`` none of this happens.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from mumu.errors import ConfigurationError

STATE = "mumu-local-api.json"
LOCK = "mumu-local-api.lock"
LOG = "mumu-local-api.log"
HEALTH_TIMEOUT_S = 2.0


def local_api_url(home: Path, startup_timeout_s: float, idle_s: float) -> str:
    """The API URL of the running local API of ``home``, started when there is none."""
    home.mkdir(parents=True, exist_ok=True)
    url = _running(home)
    if url:
        return url
    with _locked(home / LOCK):
        return _running(home) or _start(home, startup_timeout_s, idle_s)


def _running(home: Path) -> str | None:
    try:
        state = json.loads((home / STATE).read_text())
        url, pid = str(state["url"]), int(state["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url if _healthy(url) else None


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=HEALTH_TIMEOUT_S).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def _locked(path: Path) -> Any:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _start(home: Path, startup_timeout_s: float, idle_s: float) -> str:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    with (home / LOG).open("ab") as log:
        server = subprocess.Popen(  # noqa: S603 - this interpreter, mumu's own module
            [sys.executable, "-m", "mumu.local_api", str(port), str(idle_s)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            env=os.environ
            | {
                "PREFECT_HOME": str(home),
                "PREFECT_UI_ENABLED": "0",
                "PREFECT__SERVER_EPHEMERAL": "1",
                "PREFECT__SERVER_FINAL": "1",
            },
        )
    deadline = time.monotonic() + startup_timeout_s
    while not _healthy(url):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise ConfigurationError(
                f"the local Prefect API did not start within {startup_timeout_s:g} s (a busy "
                "machine? see " + str(home / LOG) + "): run again, raise "
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or start one server for "
                "every run (prefect server start) and set PREFECT_API_URL"
            )
        time.sleep(0.1)
    (home / STATE).write_text(json.dumps({"url": url, "pid": server.pid}))
    return url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class IdleWatch:
    """ASGI middleware that tells when the app has had neither a request nor an open
    connection (a run's event stream is a websocket) for ``idle_s`` seconds."""

    def __init__(self, app: ASGIApp, idle_s: float) -> None:
        self.app = app
        self.idle_s = idle_s
        self.open = 0
        self.last = time.monotonic()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        self.open += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1
            self.last = time.monotonic()

    def idle(self) -> bool:
        return self.open == 0 and time.monotonic() - self.last > self.idle_s


def serve(port: int, idle_s: float) -> None:
    """Prefect's API on loopback until it has been idle for ``idle_s`` seconds."""
    import uvicorn
    from prefect.server.api.server import create_app

    watch = IdleWatch(create_app(final=True), idle_s)
    server = uvicorn.Server(
        uvicorn.Config(watch, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    )

    def stop_when_idle() -> None:
        while not server.started and not server.should_exit:  # starting takes seconds
            time.sleep(0.1)
        watch.last = time.monotonic()
        while not server.should_exit:
            time.sleep(1.0)
            if watch.idle():
                server.should_exit = True

    threading.Thread(target=stop_when_idle, daemon=True).start()
    server.run()


if __name__ == "__main__":
    serve(int(sys.argv[1]), float(sys.argv[2]))
