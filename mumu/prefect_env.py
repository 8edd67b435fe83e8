"""Prefect defaults for running mumu on a laptop: offline, quiet, patient at start-up.

Applied before Prefect is imported; a value the user has set always wins. Run logs
still reach the Prefect API (and UI); only the console copy is silenced, because the
command line shows its own progress and summary. The temporary server's task-run
recorder writes in batches: one SQLite transaction per task-run event made it hold the
write lock so often that creating a flow run stalled about 2 s for every second file
(dev/decisions/0014).
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PR_SET_PDEATHSIG = 1
DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_HANDLERS_DEBUG_LEVEL": "CRITICAL",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
}


def apply_cli_defaults() -> None:
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)


@contextmanager
def local_run_settings() -> Iterator[None]:
    """Flow-run heartbeats off when flows run on the in-process ephemeral API.

    Heartbeats let a server notice a crashed run; an ephemeral server dies with the
    process, so they only cost time (each flow run waits up to a second for its
    heartbeat thread at exit). Against a real Prefect server they stay on.
    """
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    if PREFECT_API_URL.value():
        yield
        return
    _end_the_local_server_with_this_process()
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def start_local_api() -> None:
    """Start the temporary local API now, from this (the main) thread, when no server is
    configured: it ends with the thread that started it (below), and the flows that use
    it may run in another."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return
    try:
        with get_client(sync_client=True) as client:
            client.api_healthcheck()
    except RuntimeError as exc:  # it did not answer in time: a busy machine
        from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

        from mumu.errors import ConfigurationError

        waited = PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()
        raise ConfigurationError(
            f"the temporary Prefect API did not start within {waited:g} s (a busy machine?): "
            "run again, raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or start one "
            "server for every run (prefect server start) and set PREFECT_API_URL"
        ) from exc


def _end_the_local_server_with_this_process() -> None:
    """The temporary server is a child process that outlives a ``kill -9`` of ``mumu``
    (it is re-parented, and keeps its memory and port). On Linux the kernel can send it
    SIGTERM when the thread that started it ends (``PR_SET_PDEATHSIG``); mumu starts it
    from its main thread, so that is when mumu ends."""
    if not sys.platform.startswith("linux"):
        return
    from prefect.server.api import server

    if getattr(server.SubprocessASGIServer, "_mumu_tied", False):
        return
    start = server.SubprocessASGIServer._run_uvicorn_command

    def start_tied(self: server.SubprocessASGIServer) -> subprocess.Popen[Any]:
        popen = subprocess.Popen
        subprocess.Popen = functools.partial(popen, preexec_fn=_terminate_with_parent)  # type: ignore[misc,assignment]
        try:
            return start(self)
        finally:
            subprocess.Popen = popen  # type: ignore[misc]

    server.SubprocessASGIServer._run_uvicorn_command = start_tied  # type: ignore[method-assign]
    server.SubprocessASGIServer._mumu_tied = True  # type: ignore[attr-defined]


def _terminate_with_parent() -> None:
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
