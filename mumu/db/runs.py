"""The run record: one row per recording and stage, and one per finished flow run.

A stage run row is marked ``running`` when a stage starts; its output and its final
status are written together when it ends, so a crash leaves the previous complete
output or nothing, never half a stage.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mumu.db.engine import transaction
from mumu.db.models import PipelineRun, RecordingStatus, Stage, StageRun, StageStatus, utcnow
from mumu.db.recordings import registered, unreadable, update_recording
from mumu.db.retry import retrying
from mumu.errors import StageFailed, one_line

T = TypeVar("T")


@retrying
def completed_stage_keys(engine: Engine, recording_id: int) -> dict[Stage, str | None]:
    """Stage to key for the stages whose output is stored and still valid."""
    return completed_stage_keys_of(engine, [recording_id])[recording_id]


@retrying
def completed_stage_keys_of(
    engine: Engine, recording_ids: Sequence[int]
) -> dict[int, dict[Stage, str | None]]:
    """``completed_stage_keys`` of many recordings in one query."""
    keys: dict[int, dict[Stage, str | None]] = {i: {} for i in recording_ids}
    with transaction(engine) as session:
        runs = session.exec(
            select(StageRun).where(
                col(StageRun.recording_id).in_(recording_ids),
                col(StageRun.status).in_([StageStatus.COMPLETED, StageStatus.SKIPPED]),
            )
        )
        for run in runs:
            keys[run.recording_id][Stage(run.stage)] = run.key
    return keys


def run_stage(
    engine: Engine,
    recording_id: int,
    stage: Stage,
    key: str,
    work: Callable[[], T],
    save: Callable[[Session, T], None],
) -> T:
    """Run one stage: mark it running, do the work, store output and status together.

    A failure is stored before ``StageFailed`` (caused by the error) is raised.
    """
    started = time.monotonic()
    _start_stage(engine, recording_id, stage)
    try:
        value = work()
        _save_stage(engine, recording_id, stage, key, started, lambda s: save(s, value))
    except Exception as exc:
        reason = one_line(exc)
        fail_stage(engine, recording_id, stage, reason, time.monotonic() - started)
        raise StageFailed(stage, reason) from exc
    return value


@retrying
def skip_stage(
    engine: Engine,
    recording_id: int,
    stage: Stage,
    key: str,
    reason: str,
    save: Callable[[Session], None] | None = None,
) -> None:
    """Record a stage as skipped, with ``save`` (e.g. clearing stale output) in the same
    transaction."""
    started = time.monotonic()
    with transaction(engine) as session:
        if save is not None:
            save(session)
        run = _finish(session, recording_id, stage, StageStatus.SKIPPED, key, started)
        run.error = reason


@retrying
def fail_stage(
    engine: Engine, recording_id: int, stage: Stage, error: str, duration_s: float = 0.0
) -> None:
    with transaction(engine) as session:
        _fail(session, recording_id, stage, error, duration_s)


def _fail(
    session: Session, recording_id: int, stage: Stage, error: str, duration_s: float = 0.0
) -> None:
    run = _stage_run(session, recording_id, stage)
    run.status = StageStatus.FAILED
    run.attempts = max(run.attempts, 1)
    run.finished_at = utcnow()
    run.duration_s = round(duration_s, 3)
    run.error = error
    session.add(run)
    status = RecordingStatus.NOTES_FAILED if stage == Stage.INSIGHTS else RecordingStatus.FAILED
    update_recording(session, recording_id, status=status, error=f"{stage}: {error}")


@dataclass(frozen=True)
class Refusal:
    """A source refused before any run of its own: unreadable (``stage`` ingest, no
    content hash) or read and found not to be usable audio (``stage`` audio)."""

    source: str
    stage: Stage
    reason: str
    sha256: str | None = None
    size_bytes: int = 0


@retrying
def record_refusals(engine: Engine, refusals: Sequence[Refusal], flow: str) -> list[int]:
    """Store refusals as their own runs would (the recording failed at its stage with the
    reason, and a failed run of ``flow``), many in one transaction: a folder of ten
    thousand files that are not recordings is refused in seconds. Their ids, in order."""
    if not refusals:
        return []
    try:
        with transaction(engine) as session:
            return [_refuse(session, refusal, flow) for refusal in refusals]
    except IntegrityError:  # another run registered one of these contents meanwhile
        if len(refusals) == 1:
            raise
        return [i for refusal in refusals for i in record_refusals(engine, [refusal], flow)]


def _refuse(session: Session, refusal: Refusal, flow: str) -> int:
    if refusal.sha256 is None:
        recording_id = unreadable(session, refusal.source)
    else:
        recording_id = registered(session, refusal.source, refusal.sha256, refusal.size_bytes)
    _fail(session, recording_id, refusal.stage, refusal.reason)
    now = utcnow()
    session.add(
        PipelineRun(
            flow=flow,
            status=RecordingStatus.FAILED,
            recording_id=recording_id,
            started_at=now,
            finished_at=now,
            duration_s=0.0,
        )
    )
    return recording_id


@retrying
def record_pipeline_run(
    engine: Engine, flow: str, status: str, started_at: datetime, recording_id: int | None
) -> None:
    finished_at = utcnow()
    with transaction(engine) as session:
        session.add(
            PipelineRun(
                flow=flow,
                status=status,
                recording_id=recording_id,
                started_at=started_at,
                finished_at=finished_at,
                duration_s=round((finished_at - started_at).total_seconds(), 3),
            )
        )


@retrying
def _start_stage(engine: Engine, recording_id: int, stage: Stage) -> None:
    with transaction(engine) as session:
        run = _stage_run(session, recording_id, stage)
        run.status = StageStatus.RUNNING
        run.attempts += 1
        run.started_at = utcnow()
        run.finished_at = run.duration_s = run.error = None
        session.add(run)
        update_recording(session, recording_id, status=RecordingStatus.RUNNING, error=None)


@retrying
def _save_stage(
    engine: Engine,
    recording_id: int,
    stage: Stage,
    key: str,
    started: float,
    save: Callable[[Session], None],
) -> None:
    with transaction(engine) as session:
        save(session)
        _finish(session, recording_id, stage, StageStatus.COMPLETED, key, started)


def _stage_run(session: Session, recording_id: int, stage: Stage) -> StageRun:
    run = session.exec(
        select(StageRun).where(StageRun.recording_id == recording_id, StageRun.stage == stage)
    ).first()
    return run or StageRun(recording_id=recording_id, stage=stage, status=StageStatus.RUNNING)


def _finish(
    session: Session, recording_id: int, stage: Stage, status: str, key: str, started: float
) -> StageRun:
    run = _stage_run(session, recording_id, stage)
    run.status = status
    run.key = key
    run.attempts = max(run.attempts, 1)
    run.started_at = run.started_at or utcnow()
    run.finished_at = utcnow()
    run.duration_s = round(time.monotonic() - started, 3)
    run.error = None
    session.add(run)
    return run
