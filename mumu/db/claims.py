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
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, case, or_, update
from sqlmodel import col

from mumu.db.engine import transaction
from mumu.db.models import Recording, RecordingStatus, utcnow
from mumu.db.retry import retrying

POLL_S = 0.5


def _process_space() -> str:
    """This host and PID namespace: where a process id means the same process.

    Containers with host networking share the host's name but not its process ids, so
    the name alone would let one container take a live claim of another for dead.
    """
    try:
        namespace = os.readlink("/proc/self/ns/pid").removeprefix("pid:[").rstrip("]")
    except OSError:
        namespace = "-"
    return f"{socket.gethostname()}@{namespace}"


PROCESS_SPACE = _process_space()


def new_owner() -> str:
    """An owner token: this host and PID namespace, this process, this run."""
    return f"{PROCESS_SPACE}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


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
        if current and _dead_here(current):
            conditions.append(col(Recording.claimed_by) == current)
        result = session.execute(
            update(Recording)
            .where(col(Recording.id) == recording_id, or_(*conditions))
            .values(claimed_by=owner, heartbeat_at=now)
        )
        return None if cast(CursorResult[Any], result).rowcount == 1 else current


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


def _dead_here(owner: str) -> bool:
    """True when the owner ran in this process space, in a process that no longer exists."""
    parts = owner.split(":")
    if len(parts) != 3 or parts[0] != PROCESS_SPACE:
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False
