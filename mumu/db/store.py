"""Reads and writes of mumu's tables; every stage's output commits in one transaction.

A stage run row is marked ``running`` when a stage starts; its output and its final
status are written together when it ends, so a crash leaves the previous complete
output or nothing, never half a stage.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Engine, delete
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session, col, select

from mumu.db.engine import get_engine, upgrade
from mumu.db.models import (
    Insight,
    PipelineRun,
    Recording,
    RecordingStatus,
    Segment,
    StageRun,
    StageStatus,
    Transcript,
    utcnow,
)
from mumu.settings import Settings
from mumu.stages import INGEST

T = TypeVar("T")
P = ParamSpec("P")
RECONNECT_DELAYS_S = (0.2, 0.5, 1.0, 2.0)


def retrying(function: Callable[P, T]) -> Callable[P, T]:
    """Run a whole transaction again when the database connection was lost under it.

    A dropped connection (a restarted server, ``pg_terminate_backend``, a failover) rolls
    the transaction back, so doing it again is safe; every function decorated here is
    one transaction, or idempotent as a whole. The pool's pre-ping replaces the dead
    connection. SQLite's "database is locked" is retried the same way.
    """

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        for delay in RECONNECT_DELAYS_S:
            try:
                return function(*args, **kwargs)
            except DBAPIError as exc:
                if not (exc.connection_invalidated or isinstance(exc, OperationalError)):
                    raise
                time.sleep(delay)
        return function(*args, **kwargs)

    return wrapper


_migration_lock = threading.Lock()


@lru_cache(maxsize=8)
def _migrated_engine(url: str) -> Engine:
    with _migration_lock:  # Alembic's context is process-global: one migration at a time
        upgrade(url)
    return get_engine(url)


def engine_for(settings: Settings) -> Engine:
    """The engine for the configured database, its schema brought up to date once."""
    return _migrated_engine(settings.database_url_value)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@retrying
def find_recording(engine: Engine, sha256: str) -> int | None:
    with transaction(engine) as session:
        existing = session.exec(select(Recording).where(Recording.sha256 == sha256)).first()
        return existing.id if existing is not None else None


@retrying
def find_by_source(engine: Engine, source: str) -> int | None:
    with transaction(engine) as session:
        existing = session.exec(
            select(Recording)
            .where(Recording.source == source, col(Recording.sha256).is_not(None))
            .order_by(col(Recording.id).desc())
        ).first()
        return existing.id if existing is not None else None


@retrying
def is_running(engine: Engine, source: str) -> bool:
    with transaction(engine) as session:
        running = session.exec(
            select(Recording.id).where(
                Recording.source == source, Recording.status == RecordingStatus.RUNNING
            )
        ).first()
        return running is not None


@retrying
def register_recording(engine: Engine, source: str, sha256: str, size_bytes: int) -> int:
    """The id of the recording with this content, created on first sight."""
    existing_id = find_recording(engine, sha256)
    if existing_id is not None:
        return existing_id
    try:
        with transaction(engine) as session:
            recording = Recording(sha256=sha256, source=source, size_bytes=size_bytes)
            session.add(recording)
            session.flush()
            assert recording.id is not None
            now = utcnow()
            session.add(
                StageRun(
                    recording_id=recording.id,
                    stage=INGEST,
                    status=StageStatus.COMPLETED,
                    key=sha256,
                    attempts=1,
                    started_at=now,
                    finished_at=now,
                    duration_s=0.0,
                )
            )
            _forget_unreadable(session, source)
            return recording.id
    except IntegrityError:
        winner = find_recording(engine, sha256)
        assert winner is not None, "the insert that beat ours is committed"
        return winner


@retrying
def record_unreadable(engine: Engine, source: str, error: str) -> int:
    """A source that could not even be read: stored as failed, keyed by its path."""
    with transaction(engine) as session:
        recording = session.exec(
            select(Recording).where(Recording.source == source, col(Recording.sha256).is_(None))
        ).first()
        if recording is None:
            recording = Recording(source=source)
        recording.status = RecordingStatus.FAILED
        recording.error = error
        recording.updated_at = utcnow()
        session.add(recording)
        session.flush()
        assert recording.id is not None
        return recording.id


def _forget_unreadable(session: Session, source: str) -> None:
    session.execute(
        delete(Recording).where(col(Recording.source) == source, col(Recording.sha256).is_(None))
    )


@retrying
def completed_stage_keys(engine: Engine, recording_id: int) -> dict[str, str | None]:
    """Stage name to key for the stages whose output is stored and still valid."""
    with transaction(engine) as session:
        runs = session.exec(
            select(StageRun).where(
                StageRun.recording_id == recording_id,
                col(StageRun.status).in_([StageStatus.COMPLETED, StageStatus.SKIPPED]),
            )
        ).all()
        return {run.stage: run.key for run in runs}


def run_stage(
    engine: Engine,
    recording_id: int,
    stage: str,
    key: str,
    work: Callable[[], T],
    save: Callable[[Session, T], None],
) -> T:
    """Run one stage: mark it running, do the work, store output and status together."""
    started = time.monotonic()
    _start_stage(engine, recording_id, stage)
    try:
        value = work()
        _save_stage(engine, recording_id, stage, key, started, lambda s: save(s, value))
    except Exception as exc:
        fail_stage(engine, recording_id, stage, one_line(exc), time.monotonic() - started)
        raise
    return value


@retrying
def _start_stage(engine: Engine, recording_id: int, stage: str) -> None:
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
    stage: str,
    key: str,
    started: float,
    save: Callable[[Session], None],
) -> None:
    with transaction(engine) as session:
        save(session)
        _finish(session, recording_id, stage, StageStatus.COMPLETED, key, started)


@retrying
def skip_stage(
    engine: Engine,
    recording_id: int,
    stage: str,
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
    engine: Engine, recording_id: int, stage: str, error: str, duration_s: float = 0.0
) -> None:
    with transaction(engine) as session:
        run = _stage_run(session, recording_id, stage)
        run.status = StageStatus.FAILED
        run.attempts = max(run.attempts, 1)
        run.finished_at = utcnow()
        run.duration_s = round(duration_s, 3)
        run.error = error
        session.add(run)
        update_recording(
            session, recording_id, status=RecordingStatus.FAILED, error=f"{stage}: {error}"
        )


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
def complete_recording(engine: Engine, recording_id: int) -> None:
    with transaction(engine) as session:
        update_recording(session, recording_id, status=RecordingStatus.COMPLETED, error=None)


def update_recording(session: Session, recording_id: int, **fields: Any) -> None:
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise LookupError(f"recording {recording_id} not found")
    for name, value in fields.items():
        setattr(recording, name, value)
    recording.updated_at = utcnow()
    session.add(recording)


def replace_transcript(
    session: Session, recording_id: int, transcript: Transcript, segments: list[Segment]
) -> None:
    session.execute(delete(Segment).where(col(Segment.recording_id) == recording_id))
    session.execute(delete(Transcript).where(col(Transcript.recording_id) == recording_id))
    session.flush()
    session.add(transcript)
    session.add_all(segments)


def replace_insight(session: Session, recording_id: int, insight: Insight) -> None:
    session.execute(delete(Insight).where(col(Insight.recording_id) == recording_id))
    session.flush()
    session.add(insight)


def delete_insight(session: Session, recording_id: int) -> None:
    session.execute(delete(Insight).where(col(Insight.recording_id) == recording_id))


def _stage_run(session: Session, recording_id: int, stage: str) -> StageRun:
    run = session.exec(
        select(StageRun).where(StageRun.recording_id == recording_id, StageRun.stage == stage)
    ).first()
    return run or StageRun(recording_id=recording_id, stage=stage, status=StageStatus.RUNNING)


def _finish(
    session: Session, recording_id: int, stage: str, status: str, key: str, started: float
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


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."
