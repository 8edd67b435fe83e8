"""Erasure: a recording and everything derived from it leave every table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from mumu.db import recordings, views
from mumu.db.erasure import erase_recording, is_refused
from mumu.db.models import PipelineRun, Question, Recording, SegmentEmbedding
from mumu.library.search import search
from mumu.settings import Settings
from mumu.sidecar.metrics import DatabaseCollector

ERASED_SHA = "ab" * 32


def rows(engine: Engine, table: str, recording_id: int) -> int:
    with engine.connect() as connection:
        query = f"SELECT count(*) FROM {table} WHERE recording_id = :id"  # noqa: S608
        return int(connection.execute(text(query), {"id": recording_id}).scalar_one())


def recordings_gauge(settings: Settings) -> float:
    for family in DatabaseCollector(settings).collect():
        if family.name == "mumu_recordings":
            return sum(sample.value for sample in family.samples)
    raise AssertionError("no mumu_recordings gauge")


def with_what_cites_it(engine: Engine) -> tuple[int, int]:
    """The stored recording (conftest ``stored``) with an embedding, a pipeline run and a
    question citing it, beside another recording and a question citing only that one."""
    with Session(engine) as session:
        other = Recording(source="/in/other.wav", sha256="cd" * 32, status="completed")
        session.add(other)
        session.flush()
        segment_id = session.execute(text("SELECT min(id) FROM segments")).scalar_one()
        session.add(SegmentEmbedding(segment_id=segment_id, model="e", vector=[0.1, 0.2]))
        now = datetime(2026, 12, 1, tzinfo=UTC)
        session.add(
            PipelineRun(
                flow="process-recording",
                status="completed",
                recording_id=1,
                started_at=now,
                finished_at=now,
                duration_s=2.0,
            )
        )
        for recording_id in (1, other.id):
            session.add(
                Question(
                    question=f"what about {recording_id}?",
                    answer="A refund.",
                    status="answered",
                    citations=[{"recording_id": recording_id, "source": "x", "start": 0.0}],
                )
            )
        session.commit()
        return 1, other.id or 0


@pytest.mark.both_databases
def test_an_erased_recording_leaves_nothing_derived_from_it(
    stored: Engine, settings: Settings
) -> None:
    erased_id, other_id = with_what_cites_it(stored)
    before = recordings_gauge(settings)
    assert search(stored, "refund"), "the search index holds it before"

    erased = erase_recording(stored, erased_id, keep_refusing=False)

    assert erased is not None and (erased.source, erased.questions) == ("/in/100%_call.wav", 1)
    for table in ("transcripts", "segments", "insights", "stage_runs", "pipeline_runs"):
        assert rows(stored, table, erased_id) == 0, table
    with stored.connect() as connection:
        left = connection.execute(text("SELECT count(*) FROM segment_embeddings")).scalar_one()
        questions = connection.execute(text("SELECT question FROM questions")).scalars().all()
        timings = connection.execute(text("SELECT count(*) FROM pipeline_runs")).scalar_one()
    assert left == 0
    assert questions == [f"what about {other_id}?"], "only the question citing it goes"
    assert timings == 1, "the run's timing stays, no longer tied to the recording"
    assert search(stored, "refund") == [] and search(stored, "Hallo") == []
    assert views.recording_detail(stored, erased_id) is None
    assert [row.id for row in views.page_of_recordings(stored, views.RecordingFilter(), None)] == [
        other_id
    ]
    assert recordings_gauge(settings) == before - 1, "the totals follow"
    assert not is_refused(stored, ERASED_SHA), "its hash is forgotten"
    assert erase_recording(stored, erased_id, keep_refusing=False) is None


@pytest.mark.both_databases
def test_content_erased_to_be_refused_stays_refused(stored: Engine) -> None:
    erase_recording(stored, 1, keep_refusing=True)
    assert is_refused(stored, ERASED_SHA)
    assert not is_refused(stored, "cd" * 32)


@pytest.mark.both_databases
def test_an_erased_recordings_id_is_never_given_again(stored: Engine) -> None:
    """Signed links and artifact keys name a recording by id: the newest erased, the next
    recording gets a new one (SQLite alone would give the largest id plus one again)."""
    newest = recordings.register_recording(stored, "/in/b.wav", "ef" * 32, 10)
    erase_recording(stored, newest, keep_refusing=False)
    following = recordings.register_recording(stored, "/in/c.wav", "01" * 32, 10)
    unreadable = recordings.record_unreadable(stored, "/in/d.wav", "not audio")
    assert following > newest and unreadable > following


@pytest.mark.both_databases
def test_a_question_stored_in_another_shape_does_not_block_an_erasure(stored: Engine) -> None:
    with Session(stored) as session:
        odd_shapes: list[Any] = [[1], {"recording_id": 1}, ["1"], None]
        for odd in odd_shapes:
            session.add(Question(question="odd", answer="-", status="answered", citations=odd))
        session.commit()
    erased = erase_recording(stored, 1, keep_refusing=False)
    assert erased is not None and erased.questions == 0
