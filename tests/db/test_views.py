"""Listings of a library: newest first, a page at a time, filtered, counted."""

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from mumu.db import owners
from mumu.db.models import Recording
from mumu.db.reading import Database, connect
from mumu.db.views import (
    RecordingFilter,
    count_recordings,
    page_of_recordings,
    recording_detail,
)

pytestmark = pytest.mark.both_databases
NOW = datetime.now(UTC)


@pytest.fixture(params=["engine", "driver"])
def library(request: pytest.FixtureRequest, engine: Engine) -> Iterator[Engine | Database]:
    """Five recordings: ids 1 to 5, the oldest a month old, two failed, one German; read
    through the engine (flows) or the driver (read commands)."""
    rows = [
        ("/in/standup-monday.flac", "completed", "en", NOW - timedelta(days=30)),
        ("/in/standup-tuesday.flac", "failed", None, NOW - timedelta(days=3)),
        ("/in/100%_sales_call.mp3", "completed", "en", NOW - timedelta(days=2)),
        ("/in/kickoff-berlin.wav", "completed", "de", NOW - timedelta(hours=5)),
        ("/in/standup-friday.flac", "failed", None, NOW - timedelta(minutes=5)),
    ]
    with Session(engine) as session:
        for source, status, language, created in rows:
            session.add(
                Recording(source=source, status=status, language=language, created_at=created)
            )
        session.commit()
    if request.param == "engine":
        yield engine
        return
    database = connect(engine.url.render_as_string(hide_password=False))
    assert database is not None
    yield database
    database.close()


def listed(
    engine: Engine | Database, chosen: RecordingFilter, limit: int | None = None, offset: int = 0
) -> list[str]:
    return [
        row.source.removeprefix("/in/") for row in page_of_recordings(engine, chosen, limit, offset)
    ]


def test_newest_first_a_page_at_a_time(library: Engine | Database) -> None:
    everything = RecordingFilter()
    assert listed(library, everything, 2) == ["standup-friday.flac", "kickoff-berlin.wav"]
    assert listed(library, everything, 2, 2) == ["100%_sales_call.mp3", "standup-tuesday.flac"]
    assert listed(library, everything, 2, 4) == ["standup-monday.flac"]
    assert count_recordings(library, everything) == 5


def test_filters_by_status_age_source_and_language(library: Engine | Database) -> None:
    failed = RecordingFilter(status="failed")
    assert listed(library, failed) == ["standup-friday.flac", "standup-tuesday.flac"]
    assert count_recordings(library, failed) == 2
    recent = RecordingFilter(since=NOW - timedelta(days=1))
    assert listed(library, recent) == ["standup-friday.flac", "kickoff-berlin.wav"]
    standups = RecordingFilter(source="*standup-*day.flac")
    assert len(listed(library, standups)) == 3
    assert listed(library, RecordingFilter(source="*100%_*")) == ["100%_sales_call.mp3"]
    assert listed(library, RecordingFilter(source="*100_*")) == [], "% and _ are literal"
    german = RecordingFilter(language="de", status="completed")
    assert listed(library, german) == ["kickoff-berlin.wav"]
    assert count_recordings(library, RecordingFilter(status="failed", language="de")) == 0


def test_a_recording_whose_run_died_reads_as_pending_not_running(engine: Engine) -> None:
    """A run that could not give its claims up (killed, or its disk full) leaves rows that
    say ``running``; they read as what the next run makes of them, and say why."""
    dead = f"{owners.PROCESS_SPACE}:{_a_dead_pid()}:deadbeef"
    live = owners.new_owner()
    elsewhere = "other-host@1:42:cafe"
    with Session(engine) as session:
        for source, owner in [
            ("/in/dead.flac", dead),
            ("/in/live.flac", live),
            ("/in/far.flac", elsewhere),
        ]:
            session.add(Recording(source=source, status="running", claimed_by=owner))
        session.commit()
    shown = {row.source: row for row in page_of_recordings(engine, RecordingFilter(), None)}
    assert shown["/in/dead.flac"].status == "pending"
    assert shown["/in/dead.flac"].error is not None
    assert "interrupted" in shown["/in/dead.flac"].error
    assert shown["/in/live.flac"].status == "running"
    assert shown["/in/far.flac"].status == "running", "another host's process is not judged"
    assert listed(engine, RecordingFilter(status="pending")) == ["dead.flac"]
    assert listed(engine, RecordingFilter(status="running")) == ["far.flac", "live.flac"]
    detail = recording_detail(engine, shown["/in/dead.flac"].id)
    assert detail is not None
    assert detail.status == "pending"


def _a_dead_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid
