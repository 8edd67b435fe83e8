"""Prefect defaults for running mumu on a laptop: offline, quiet, patient at start-up.

Applied before Prefect is imported; a value the user has set always wins. Run logs
still reach the Prefect API (and UI); only the console copy is silenced, because the
command line shows its own progress and summary. The temporary server's task-run
recorder writes in batches: one SQLite transaction per task-run event made it hold the
write lock so often that creating a flow run stalled about 2 s for every second file
(dev/decisions/0014).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
    """Flows here run on the configured Prefect API, or on the local API that runs on
    this machine share (``mumu.local_api``), started when there is none.

    On the local API flow-run heartbeats are off: they let a server notice a crashed
    run, which the next ``mumu run`` does by itself (claims), and each flow run waits up
    to a second for its heartbeat thread at exit. Against a real Prefect server they
    stay on.
    """
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_HOME,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    from mumu.local_api import local_api_url
    from mumu.settings import get_settings

    if PREFECT_API_URL.value():
        yield
        return
    url = local_api_url(
        Path(PREFECT_HOME.value()).expanduser(),
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value(),
        get_settings().local_api_idle_s,
    )
    with temporary_settings(
        updates={PREFECT_API_URL: url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    ):
        yield
