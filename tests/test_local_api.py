"""One local Prefect API per PREFECT_HOME: runs at once share it instead of each
starting its own, later runs find it up, and it leaves when it has nothing to do."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mumu.local_api import STATE, IdleWatch
from tests.conftest import DATA_DIR


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.e2e
def test_runs_at_once_share_one_local_api_that_leaves_when_idle(
    own_server_env: dict[str, str], tmp_path: Path
) -> None:
    home = tmp_path / "prefect-home"
    env = own_server_env | {"PREFECT_HOME": str(home), "MUMU_LOCAL_API_IDLE_S": "3"}
    files = [DATA_DIR / "jfk.flac", DATA_DIR / "hotwords.mp3", DATA_DIR / "stereo_diarization.wav"]
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "mumu", "run", str(path)],
            env=env | {"MUMU_HOME": str(tmp_path / f"home{index}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index, path in enumerate(files)
    ]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, out + err
    state = json.loads((home / STATE).read_text())
    servers = subprocess.run(
        ["pgrep", "-f", f"mumu.local_api {state['url'].split(':')[2].split('/')[0]}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert servers == [str(state["pid"])], "one API for the three runs"

    deadline = time.monotonic() + 30
    while alive(state["pid"]):
        assert time.monotonic() < deadline, "the local API stayed up with nothing to do"
        time.sleep(0.5)


def test_the_idle_watch_counts_a_connection_held_open_as_work() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(0.3)

    watch = IdleWatch(app, idle_s=0.1)

    async def receive() -> dict[str, Any]:
        return {}

    async def send(_message: Any) -> None:
        return None

    async def scenario() -> list[bool]:
        seen = []
        held = asyncio.create_task(watch({"type": "websocket"}, receive, send))
        await asyncio.sleep(0.2)
        seen.append(watch.idle())
        await held
        seen.append(watch.idle())
        await asyncio.sleep(0.15)
        seen.append(watch.idle())
        return seen

    assert asyncio.run(scenario()) == [False, False, True]
