"""SIGTERM and SIGINT end `mumu run` in seconds, whatever it waits on, saying what
finished; the next run goes on with the rest."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from mumu.db.models import Recording
from tests.conftest import DATA_DIR, run_mumu
from tests.faults.test_killed_run import group_alive, transcribing

pytestmark = pytest.mark.e2e
SECONDS_TO_STOP = 10


def stopped(
    command: list[str], env: dict[str, str], ready: Callable[[], bool], signum: int
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``mumu COMMAND`` until ``ready()``, send it ``signum``; what it said, and how
    long it took to end after the signal."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mumu", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "never got to the point of the signal"
            time.sleep(0.1)
        sent = time.monotonic()
        os.kill(process.pid, signum)
        stdout, stderr = process.communicate(timeout=60)
        took = time.monotonic() - sent
        deadline = time.monotonic() + 20
        while group_alive(process.pid):
            assert time.monotonic() < deadline, "the temporary Prefect server outlived mumu"
            time.sleep(0.2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr), took


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129), (signal.SIGQUIT, 131)],
)
def test_a_signal_mid_transcription_ends_the_run_and_the_next_one_goes_on(
    engine: Engine,
    own_server_env: dict[str, str],
    tmp_path: Path,
    long_recording: Path,
    signum: int,
    code: int,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(DATA_DIR / "jfk.flac", inbox / "jfk.flac")
    shutil.copy(long_recording, inbox / "long.wav")
    result, took = stopped(
        ["run", str(inbox)], own_server_env, lambda: transcribing(engine, "long.wav"), signum
    )
    assert took < SECONDS_TO_STOP, f"ended {took:.1f} s after the signal"
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    name = signal.Signals(signum).name
    assert f"stopped by {name}" in result.stderr and "run again to go on" in result.stderr
    with Session(engine) as session:
        long = session.exec(select(Recording).where(Recording.source.endswith("long.wav"))).one()
    assert (long.status, long.claimed_by) == ("pending", None), "left for the next run"

    again = run_mumu("run", str(inbox), env=own_server_env)
    assert again.returncode == 0, again.stdout + again.stderr
    with Session(engine) as session:
        statuses = [r.status for r in session.exec(select(Recording))]
    assert statuses == ["completed", "completed"]


def test_a_signal_while_a_large_batch_is_looked_at_ends_it(
    engine: Engine, own_server_env: dict[str, str], tmp_path: Path
) -> None:
    """Thousands of files are hashed before the first flow starts: that too stops."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for number in range(3000):
        (inbox / f"note-{number}.mp3").write_bytes(b"not a recording " * 64 * (1 + number % 7))
    started = time.monotonic()
    result, took = stopped(
        ["run", str(inbox)], own_server_env, lambda: time.monotonic() - started > 3, signal.SIGTERM
    )
    assert took < SECONDS_TO_STOP, f"ended {took:.1f} s after the signal"
    assert result.returncode == 143 and "Traceback" not in result.stderr, result.stderr
    assert "stopped by SIGTERM" in result.stderr
