"""Recordings: one per content, unreadable sources kept until they become readable."""

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from mumu.db import recordings
from mumu.db.models import Recording

pytestmark = pytest.mark.both_databases


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_the_same_content_is_one_recording(engine: Engine) -> None:
    first = recordings.register_recording(engine, "/a/one.wav", "ab" * 32, 10)
    again = recordings.register_recording(engine, "/b/copy.wav", "ab" * 32, 10)
    assert first == again
    assert count(engine, Recording) == 1


def test_an_unreadable_source_is_stored_once_and_replaced_when_it_becomes_readable(
    engine: Engine,
) -> None:
    recordings.record_unreadable(engine, "/in/x.wav", "ingest: file not found")
    recordings.record_unreadable(engine, "/in/x.wav", "ingest: file not found")
    assert count(engine, Recording) == 1
    recordings.register_recording(engine, "/in/x.wav", "cd" * 32, 5)
    with Session(engine) as session:
        rows = session.exec(select(Recording)).all()
    assert [(row.source, row.sha256) for row in rows] == [("/in/x.wav", "cd" * 32)]
