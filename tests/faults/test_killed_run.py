"""`kill -9` of `mumu run` in the middle of a batch: the next run completes everything."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from mumu.db.models import Recording, Segment, StageRun, Transcript
from tests.conftest import DATA_DIR, run_mumu

pytestmark = pytest.mark.e2e


def transcribing(engine: Engine, name: str) -> bool:
    with Session(engine) as session:
        run = session.exec(
            select(StageRun)
            .join(Recording, col(Recording.id) == col(StageRun.recording_id))
            .where(col(Recording.source).endswith(name), StageRun.stage == "transcribe")
        ).first()
        return run is not None and run.status == "running"


def group_alive(group: int) -> bool:
    """Whether any process of the killed run's process group (its children) is left."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_killed_run_is_taken_over_and_nothing_is_lost_or_doubled(
    engine: Engine, own_server_env: dict[str, str], tmp_path: Path, long_recording: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(long_recording, inbox / "long.wav")
    shutil.copy(DATA_DIR / "jfk.flac", inbox / "jfk.flac")
    shutil.copy(DATA_DIR / "hotwords.mp3", inbox / "hotwords.mp3")

    victim = subprocess.Popen(
        [sys.executable, "-m", "mumu", "run", str(inbox)],
        env=own_server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not transcribing(engine, "long.wav"):
            assert victim.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "transcription of long.wav never started"
            time.sleep(0.1)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        deadline = time.monotonic() + 20
        while group_alive(victim.pid):
            assert time.monotonic() < deadline, "the temporary Prefect server outlived mumu"
            time.sleep(0.2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(victim.pid, signal.SIGKILL)

    with Session(engine) as session:
        stuck = session.exec(select(Recording).where(Recording.status == "running")).all()
    assert "long.wav" in [Path(r.source).name for r in stuck]
    shown = run_mumu("list", "--status", "pending", "--json", env=own_server_env)
    assert "long.wav" in shown.stdout, "what the dead run held reads as pending, not running"
    assert "interrupted" in shown.stdout

    again = run_mumu("run", str(inbox), env=own_server_env)
    assert again.returncode == 0, again.stdout + again.stderr

    with Session(engine) as session:
        recordings = session.exec(select(Recording)).all()
        assert sorted(Path(r.source).name for r in recordings) == [
            "hotwords.mp3",
            "jfk.flac",
            "long.wav",
        ]
        assert all(r.status == "completed" and r.claimed_by is None for r in recordings)
        assert session.exec(select(func.count()).select_from(Transcript)).one() == 3
        assert session.exec(select(func.count()).select_from(StageRun)).one() == 12
        long_id = next(r.id for r in recordings if r.source.endswith("long.wav"))
        transcribe = session.exec(
            select(StageRun).where(StageRun.recording_id == long_id, StageRun.stage == "transcribe")
        ).one()
        assert (transcribe.status, transcribe.attempts) == ("completed", 2)
        indexes = session.exec(
            select(Segment.idx).where(Segment.recording_id == long_id).order_by(col(Segment.idx))
        ).all()
        assert indexes == list(range(len(indexes))) and len(indexes) > 10  # 15 in two minutes
