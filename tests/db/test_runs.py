"""The run record: a stage's output and status are written together, or not at all."""

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from mumu.db.models import Recording, Segment, Stage, StageRun, Transcript
from mumu.db.recordings import register_recording
from mumu.db.runs import completed_stage_keys, run_stage
from mumu.errors import StageFailed
from tests.db.test_recordings import count

pytestmark = pytest.mark.both_databases


def test_a_stage_that_fails_while_saving_leaves_nothing_half_written(engine: Engine) -> None:
    recording_id = register_recording(engine, "/a.wav", "ef" * 32, 1)

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

    with pytest.raises(StageFailed, match="transcribe: disk full") as failed:
        run_stage(engine, recording_id, Stage.TRANSCRIBE, "k", lambda: "result", save)
    assert isinstance(failed.value.__cause__, RuntimeError)
    assert count(engine, Transcript) == 0
    assert count(engine, Segment) == 0
    with Session(engine) as session:
        run = session.exec(select(StageRun).where(StageRun.stage == "transcribe")).one()
    assert (run.status, run.error) == ("failed", "disk full")


def test_a_failed_stage_is_recorded_with_its_reason_and_attempts_count(engine: Engine) -> None:
    recording_id = register_recording(engine, "/a.wav", "01" * 32, 1)

    def boom() -> None:
        raise ValueError("model exploded")

    for _ in range(2):
        with pytest.raises(StageFailed):
            run_stage(engine, recording_id, Stage.TRANSCRIBE, "k", boom, lambda s, v: None)
    with Session(engine) as session:
        run = session.exec(select(StageRun).where(StageRun.stage == "transcribe")).one()
        recording = session.get(Recording, recording_id)
    assert (run.status, run.attempts, run.error) == ("failed", 2, "model exploded")
    assert recording is not None
    assert (recording.status, recording.error) == ("failed", "transcribe: model exploded")
    assert completed_stage_keys(engine, recording_id) == {"ingest": "01" * 32}
