"""Recordings: found by content, registered once, their status kept current.

A recording's identity is the sha256 of its content. A source that could not even be
read has no hash; it is kept, failed, under its source, until it becomes readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mumu.db.engine import transaction
from mumu.db.models import (
    Erasure,
    Recording,
    RecordingStatus,
    Segment,
    Stage,
    StageRun,
    StageStatus,
    row_id,
    utcnow,
)
from mumu.db.retry import retrying
from mumu.errors import BadInput
from mumu.speakers import default_name


@retrying
def find_recording(engine: Engine, sha256: str) -> int | None:
    return find_recordings(engine, [sha256]).get(sha256)


@retrying
def find_recordings(engine: Engine, hashes: Sequence[str]) -> dict[str, int]:
    """The ids of the recordings with these contents, by content hash (one query)."""
    with transaction(engine) as session:
        found = session.exec(
            select(Recording.sha256, Recording.id).where(col(Recording.sha256).in_(hashes))
        )
        return {sha256: row_id for sha256, row_id in found if sha256 and row_id}


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
            return registered(session, source, sha256, size_bytes)
    except IntegrityError:
        winner = find_recording(engine, sha256)
        if winner is None:
            raise RuntimeError("another run registered this content, then it vanished") from None
        return winner


def registered(session: Session, source: str, sha256: str, size_bytes: int) -> int:
    """``register_recording`` within a transaction (raises ``IntegrityError`` when another
    transaction registers the same content first)."""
    existing = session.exec(select(Recording.id).where(Recording.sha256 == sha256)).first()
    if existing is not None:
        return existing
    recording = new_recording(session, sha256=sha256, source=source, size_bytes=size_bytes)
    session.add(recording)
    session.flush()
    now = utcnow()
    session.add(
        StageRun(
            recording_id=row_id(recording),
            stage=Stage.INGEST,
            status=StageStatus.COMPLETED,
            key=sha256,
            attempts=1,
            started_at=now,
            finished_at=now,
            duration_s=0.0,
        )
    )
    _forget_earlier_failures(session, source, sha256)
    return row_id(recording)


def new_recording(session: Session, **fields: Any) -> Recording:
    """A recording not yet added. Its id is one never given before: a signed link, a
    notice or an artifact key names a recording by id, so an erased recording's id must
    not come back. Postgres's sequence never gives one again; SQLite gives the largest
    rowid plus one, which is an erased recording's when the newest was erased."""
    recording = Recording(**fields)
    if session.get_bind().dialect.name == "sqlite":
        newest = session.exec(select(func.max(Recording.id))).one() or 0
        erased = session.exec(select(func.max(Erasure.recording_id))).one() or 0
        if erased > newest:
            recording.id = erased + 1
    return recording


def _forget_earlier_failures(session: Session, source: str, sha256: str) -> None:
    """The file at ``source`` now has other content: what failed there before (it was
    unreadable, or cut short while still being written) is no longer true of it."""
    session.execute(
        delete(Recording).where(
            col(Recording.source) == source,
            col(Recording.status) == RecordingStatus.FAILED,
            or_(col(Recording.sha256).is_(None), col(Recording.sha256) != sha256),
        )
    )


@retrying
def record_unreadable(engine: Engine, source: str, error: str) -> int:
    """A source that could not even be read: stored as failed, keyed by its path."""
    with transaction(engine) as session:
        recording_id = unreadable(session, source)
        update_recording(session, recording_id, status=RecordingStatus.FAILED, error=error)
        return recording_id


def unreadable(session: Session, source: str) -> int:
    """The row kept for a source that cannot be read (no content hash), made once."""
    recording = session.exec(
        select(Recording).where(Recording.source == source, col(Recording.sha256).is_(None))
    ).first()
    if recording is None:
        recording = new_recording(session, source=source, status=RecordingStatus.FAILED)
        session.add(recording)
        session.flush()
    return row_id(recording)


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


@retrying
def name_speakers(
    engine: Engine, recording_id: int, names: dict[int, str], stale_after_s: float
) -> dict[str, str]:
    """Give a recording's speakers names (an empty name gives the default back), and mark
    its notes stale, so that the next run writes them with the new names.

    Names are stored by default name (``channel 1``, ``speaker 2``). Returns every name
    now given; raises ``BadInput`` for a speaker the recording does not have, or while a
    live run holds it (its notes would be written with the old names).
    """
    with transaction(engine) as session:
        recording = session.get(Recording, recording_id)
        if recording is None:
            raise BadInput(f"no recording with id {recording_id}")
        fresh = utcnow() - timedelta(seconds=stale_after_s)
        heartbeat = recording.heartbeat_at
        if recording.claimed_by and heartbeat and _aware(heartbeat) > fresh:
            raise BadInput(
                f"recording {recording_id} is being processed: name its speakers when it is done"
            )
        defaults: dict[int, str] = {}
        for channel, voice in session.exec(
            select(Segment.channel, Segment.voice).where(Segment.recording_id == recording_id)
        ).all():
            default = default_name(channel, voice)
            if default is not None:
                defaults[channel or voice or 0] = default
        if not defaults:
            raise BadInput(
                f"recording {recording_id} has no speakers told apart: it was heard as one "
                "mix (run it again with MUMU_DIARIZE=true to tell voices apart)"
            )
        unknown = sorted(set(names) - set(defaults))
        if unknown:
            known = ", ".join(str(number) for number in sorted(defaults))
            raise BadInput(
                f"recording {recording_id} has no speaker {unknown[0]}; its speakers are {known}"
            )
        given = dict(recording.speakers or {})
        for number, name in names.items():
            given.pop(defaults[number], None)
            if name:
                given[defaults[number]] = name
        update_recording(session, recording_id, speakers=given)
        notes = session.exec(
            select(StageRun).where(
                StageRun.recording_id == recording_id, StageRun.stage == Stage.INSIGHTS
            )
        ).first()
        if notes is not None:
            notes.key = None
            session.add(notes)
        return given


def _aware(moment: datetime) -> datetime:
    """SQLite gives datetimes back without their zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
