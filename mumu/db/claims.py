"""Which run is processing a recording, and taking over from runs that died.

A run claims a recording before its first stage and keeps a heartbeat on it while it
works. Another run that meets a live claim waits for it (the same file submitted twice
at once is processed once); a claim is taken over when its heartbeat is older than
``stale_after_s``, or at once when the claiming process was on this host and is gone
(a ``kill -9`` of ``mumu run``, a worker's flow-run process killed; a container's
processes count as elsewhere). Every claim change
is one conditional UPDATE, so two runs can never both win.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, case, or_, select, update
from sqlmodel import col

from mumu.db.engine import transaction
from mumu.db.models import Recording, RecordingStatus, utcnow
from mumu.db.owners import PROCESS_SPACE, dead_here
from mumu.db.retry import retrying

POLL_S = 0.5
TAKEN = "another run"
"""The holder when the claim was lost to a run that has let go of it since: try again."""


@retrying
def try_claim(engine: Engine, recording_id: int, owner: str, stale_after_s: float) -> str | None:
    """Claim the recording; None on success, else the live owner holding it."""
    now = utcnow()
    with transaction(engine) as session:
        holder = session.get(Recording, recording_id)
        current = holder.claimed_by if holder else None
        conditions = [
            col(Recording.claimed_by).is_(None),
            col(Recording.claimed_by) == owner,
            col(Recording.heartbeat_at) < now - timedelta(seconds=stale_after_s),
        ]
        if current and dead_here(current):
            conditions.append(col(Recording.claimed_by) == current)
        result = session.execute(
            update(Recording)
            .where(col(Recording.id) == recording_id, or_(*conditions))
            .values(claimed_by=owner, heartbeat_at=now)
        )
        if cast(CursorResult[Any], result).rowcount == 1:
            return None
        # Read again: a run that claimed it after ``current`` was read is the holder (two
        # twins of one file ingested at the same moment must not both go on).
        holder_now = session.execute(
            select(col(Recording.claimed_by)).where(col(Recording.id) == recording_id)
        ).scalar_one_or_none()
        return holder_now or current or TAKEN


def claim(engine: Engine, recording_id: int, owner: str, stale_after_s: float) -> None:
    """Claim the recording, waiting while another live run holds it."""
    while try_claim(engine, recording_id, owner, stale_after_s) is not None:
        time.sleep(POLL_S)


@retrying
def beat(engine: Engine, recording_id: int, owner: str) -> None:
    with transaction(engine) as session:
        session.execute(
            update(Recording)
            .where(col(Recording.id) == recording_id, col(Recording.claimed_by) == owner)
            .values(heartbeat_at=utcnow())
        )


@retrying
def release(engine: Engine, recording_id: int, owner: str) -> None:
    with transaction(engine) as session:
        session.execute(
            update(Recording)
            .where(col(Recording.id) == recording_id, col(Recording.claimed_by) == owner)
            .values(claimed_by=None, heartbeat_at=None)
        )


@retrying
def release_this_process(engine: Engine) -> int:
    """Give up every claim of this process (it is stopping): its recordings are left
    pending, for the next run to go on with; how many there were."""
    with transaction(engine) as session:
        result = session.execute(
            update(Recording)
            .where(col(Recording.claimed_by).startswith(f"{PROCESS_SPACE}:{os.getpid()}:"))
            .values(
                claimed_by=None,
                heartbeat_at=None,
                status=case(
                    (col(Recording.status) == RecordingStatus.RUNNING, RecordingStatus.PENDING),
                    else_=col(Recording.status),
                ),
            )
        )
        return cast(CursorResult[Any], result).rowcount


@contextmanager
def heartbeat(
    engine: Engine, recording_id: int, owner: str, stale_after_s: float
) -> Iterator[None]:
    """Keep the claim fresh while the body runs; release it when the body ends."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(stale_after_s / 4):
            try:
                beat(engine, recording_id, owner)
            except Exception:  # noqa: BLE001, S112 - a missed beat is retried at the next tick
                continue

    thread = threading.Thread(target=loop, name=f"mumu-heartbeat-{recording_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        release(engine, recording_id, owner)
