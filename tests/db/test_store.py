import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from mumu.db import store
from mumu.db.models import Recording, Segment, StageRun, Transcript


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_the_same_content_is_one_recording(engine: Engine) -> None:
    first = store.register_recording(engine, "/a/one.wav", "ab" * 32, 10)
    again = store.register_recording(engine, "/b/copy.wav", "ab" * 32, 10)
    assert first == again
    assert count(engine, Recording) == 1


def test_an_unreadable_source_is_stored_once_and_replaced_when_it_becomes_readable(
    engine: Engine,
) -> None:
    store.record_unreadable(engine, "/in/x.wav", "ingest: file not found")
    store.record_unreadable(engine, "/in/x.wav", "ingest: file not found")
    assert count(engine, Recording) == 1
    store.register_recording(engine, "/in/x.wav", "cd" * 32, 5)
    with Session(engine) as session:
        rows = session.exec(select(Recording)).all()
    assert [(row.source, row.sha256) for row in rows] == [("/in/x.wav", "cd" * 32)]


def test_a_stage_that_fails_while_saving_leaves_nothing_half_written(engine: Engine) -> None:
    recording_id = store.register_recording(engine, "/a.wav", "ef" * 32, 1)

    def save(session: Session, _value: object) -> None:
        session.add(Transcript(recording_id=recording_id, text="x", model="m", settings_key="k"))
        session.add(
            Segment(
                recording_id=recording_id,
                idx=0,
                start=0,
                end=1,
                text="x",
                avg_logprob=-0.1,
                no_speech_prob=0.1,
            )
        )
        session.flush()
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        store.run_stage(engine, recording_id, "transcribe", "k", lambda: "result", save)
    assert count(engine, Transcript) == 0
    assert count(engine, Segment) == 0
    with Session(engine) as session:
        run = session.exec(select(StageRun).where(StageRun.stage == "transcribe")).one()
    assert (run.status, run.error) == ("failed", "disk full")


def test_a_failed_stage_is_recorded_with_its_reason_and_attempts_count(engine: Engine) -> None:
    recording_id = store.register_recording(engine, "/a.wav", "01" * 32, 1)

    def boom() -> None:
        raise ValueError("model exploded")

    for _ in range(2):
        with pytest.raises(ValueError):
            store.run_stage(engine, recording_id, "transcribe", "k", boom, lambda s, v: None)
    with Session(engine) as session:
        run = session.exec(select(StageRun).where(StageRun.stage == "transcribe")).one()
        recording = session.get(Recording, recording_id)
    assert (run.status, run.attempts, run.error) == ("failed", 2, "model exploded")
    assert recording is not None
    assert (recording.status, recording.error) == ("failed", "transcribe: model exploded")
    assert store.completed_stage_keys(engine, recording_id) == {"ingest": "01" * 32}
