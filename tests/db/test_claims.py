import socket
import subprocess
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col

from mumu.db import claims, owners, recordings
from mumu.db.models import Recording, utcnow

pytestmark = pytest.mark.both_databases


def recording(engine: Engine) -> int:
    return recordings.register_recording(engine, "/in/a.wav", "aa" * 32, 10)


def test_one_run_at_a_time_holds_a_recording(engine: Engine) -> None:
    recording_id = recording(engine)
    first, second = owners.new_owner(), owners.new_owner()
    assert claims.try_claim(engine, recording_id, first, stale_after_s=60) is None
    assert claims.try_claim(engine, recording_id, second, stale_after_s=60) == first
    assert claims.try_claim(engine, recording_id, first, stale_after_s=60) is None
    claims.release(engine, recording_id, first)
    assert claims.try_claim(engine, recording_id, second, stale_after_s=60) is None


def test_a_silent_claim_is_taken_over_after_the_stale_time(engine: Engine) -> None:
    recording_id = recording(engine)
    elsewhere = "other-host:4242:abc"
    with Session(engine) as session, session.begin():
        session.execute(
            update(Recording)
            .where(col(Recording.id) == recording_id)
            .values(claimed_by=elsewhere, heartbeat_at=utcnow() - timedelta(seconds=30))
        )
    mine = owners.new_owner()
    assert claims.try_claim(engine, recording_id, mine, stale_after_s=60) == elsewhere
    assert claims.try_claim(engine, recording_id, mine, stale_after_s=10) is None


def claimed_by_dead_process(engine: Engine, process_space: str) -> int:
    recording_id = recording(engine)
    dead_pid = subprocess.Popen(["true"])
    dead_pid.wait()
    with Session(engine) as session, session.begin():
        session.execute(
            update(Recording)
            .where(col(Recording.id) == recording_id)
            .values(claimed_by=f"{process_space}:{dead_pid.pid}:deadbeef", heartbeat_at=utcnow())
        )
    return recording_id


def test_a_claim_of_a_dead_process_on_this_host_is_taken_over_at_once(engine: Engine) -> None:
    recording_id = claimed_by_dead_process(engine, owners.PROCESS_SPACE)
    assert claims.try_claim(engine, recording_id, owners.new_owner(), stale_after_s=3600) is None


def test_a_process_in_another_container_with_the_same_host_name_is_not_taken_for_dead(
    engine: Engine,
) -> None:
    """Host networking gives containers the host's name but their own process ids."""
    other_container = f"{socket.gethostname()}@4026599999"
    recording_id = claimed_by_dead_process(engine, other_container)
    mine = owners.new_owner()
    assert claims.try_claim(engine, recording_id, mine, stale_after_s=3600) is not None


def test_the_heartbeat_keeps_a_claim_fresh_and_releases_it(engine: Engine) -> None:
    recording_id = recording(engine)
    owner = owners.new_owner()
    claims.claim(engine, recording_id, owner, stale_after_s=0.4)
    with claims.heartbeat(engine, recording_id, owner, stale_after_s=0.4):
        time.sleep(1.0)
        assert claims.try_claim(engine, recording_id, "other:1:x", stale_after_s=0.4) == owner
    with Session(engine) as session:
        row = session.get(Recording, recording_id)
    assert row is not None and row.claimed_by is None


def test_a_claim_taken_between_reading_and_updating_is_lost_not_won(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twins of one file ingested at the same moment: the other run claims the recording
    after this one read it unclaimed; this one must wait, not go on beside it."""
    recording_id = recording(engine)
    first, second = owners.new_owner(), owners.new_owner()
    read = Session.get

    def read_then_lose_the_race(session: Session, *args: Any, **kwargs: Any) -> Any:
        found = read(session, *args, **kwargs)
        monkeypatch.setattr(Session, "get", read)
        assert claims.try_claim(engine, recording_id, first, stale_after_s=60) is None
        return found

    monkeypatch.setattr(Session, "get", read_then_lose_the_race)
    assert claims.try_claim(engine, recording_id, second, stale_after_s=60) == first
