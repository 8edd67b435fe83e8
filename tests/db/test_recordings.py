"""Recordings: one per content, unreadable sources kept until they become readable."""

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from mumu.db import recordings
from mumu.db.models import Recording, Stage, StageRun
from mumu.db.runs import fail_stage

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


def test_a_file_that_failed_while_being_written_leaves_nothing_failed_once_complete(
    engine: Engine,
) -> None:
    partial = recordings.register_recording(engine, "/in/call.wav", "aa" * 32, 10)
    fail_stage(engine, partial, Stage.AUDIO, "truncated file: decoded 3.0 s of 60.0 s declared")
    recordings.register_recording(engine, "/in/call.wav", "bb" * 32, 100)
    with Session(engine) as session:
        rows = session.exec(select(Recording)).all()
    assert [(row.sha256, row.status) for row in rows] == [("bb" * 32, "pending")]
    assert count(engine, StageRun) == 1, "the partial file's stage runs went with it"


def test_names_of_channels_outlive_a_new_transcript_and_names_of_voices_do_not(
    engine: Engine,
) -> None:
    """Voices are numbered anew by each transcription; channels stay what they are."""
    from mumu.db.engine import transaction
    from mumu.settings import Settings
    from mumu.stages.transcribe import TranscriptResult, save
    from mumu.transcription.gate import TranscriptSegment

    recording = recordings.register_recording(engine, "/in/call.wav", "ef" * 32, 10)

    def transcript(**speaker: int) -> TranscriptResult:
        said = TranscriptSegment(0.0, 1.0, "Hello.", -0.1, 0.1, 1.0, [], **speaker)  # type: ignore[arg-type]
        options = Settings().transcription
        return TranscriptResult("Hello.", "en", 1.0, [said], options)

    with transaction(engine) as session:
        save(session, recording, transcript(voice=1))
    assert recordings.name_speakers(engine, recording, {1: "Ann"}, 120) == {"speaker 1": "Ann"}
    with transaction(engine) as session:
        save(session, recording, transcript(channel=1))
    assert recordings.name_speakers(engine, recording, {1: "Bo"}, 120) == {"channel 1": "Bo"}
    with transaction(engine) as session:
        save(session, recording, transcript(channel=1))
    with Session(engine) as session:
        stored = session.get(Recording, recording)
        assert stored is not None and stored.speakers == {"channel 1": "Bo"}
