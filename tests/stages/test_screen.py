"""A batch settles refusals and stored recordings without a run each: stored as their
own run would store them, many to a transaction, in milliseconds a file."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from mumu.db import runs
from mumu.db.models import PipelineRun, Recording, Stage, StageRun, row_id
from mumu.intake.sources import expand
from mumu.settings import Settings
from mumu.stages import screen
from mumu.stages.plan import planned_keys
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.both_databases


def screened(folder: Path, engine: Engine, settings: Settings) -> screen.Screened:
    return screen.screen(expand([str(folder)]), engine, settings.intake, planned_keys(settings))


def test_refusals_are_stored_as_their_runs_would_and_audio_is_left_to_run(
    engine: Engine, settings: Settings, bad_inputs: dict[str, Path], tmp_path: Path
) -> None:
    folder = bad_inputs["empty"].parent
    shutil.copy(DATA_DIR / "jfk.flac", folder / "jfk.flac")
    (folder / "big.wav").write_bytes(b"RIFF" + (10**9).to_bytes(4, "little") + b"WAVEfmt ")
    found = screened(folder, engine, settings)

    assert [Path(str(s)).name for s in found.todo] == ["cut.flac", "jfk.flac"], (
        "only decoding finds a truncated FLAC; real audio needs its run"
    )
    errors = {Path(o.source).name: o.error for o, _ in found.refused}
    assert errors == {
        "big.wav": errors["big.wav"],
        "cut.wav": errors["cut.wav"],
        "empty.wav": "ingest: empty file (0 bytes)",
        "notes.mp3": errors["notes.mp3"],
    }
    assert (errors["notes.mp3"] or "").startswith("audio: not an audio file")
    assert (errors["cut.wav"] or "").startswith("audio: truncated file")
    with Session(engine) as session:
        stored = {Path(r.source).name: r for r in session.exec(select(Recording))}
        assert {name: r.status for name, r in stored.items()} == dict.fromkeys(errors, "failed")
        assert stored["notes.mp3"].sha256 is not None, "read, so known by its content"
        assert stored["empty.wav"].sha256 is None
        failed_at = {
            run.recording_id: run.stage
            for run in session.exec(select(StageRun).where(StageRun.status == "failed"))
        }
        assert failed_at[row_id(stored["notes.mp3"])] == Stage.AUDIO
        assert failed_at[row_id(stored["empty.wav"])] == Stage.INGEST
        pipeline = session.exec(select(func.count()).select_from(PipelineRun)).one()
        assert pipeline == 4, "each refusal counts as a failed run in the metrics"

    again = screened(folder, engine, settings)
    assert len(again.refused) == 4
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Recording)).one() == 4, (
            "refused again, not stored twice"
        )


def test_a_recording_stored_with_every_stage_current_is_settled_as_such(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DATA_DIR / "jfk.flac", folder / "jfk.flac")
    with Session(engine) as session:
        recording = Recording(source="elsewhere/jfk.flac", sha256=_sha(folder / "jfk.flac"))
        session.add(recording)
        session.flush()
        for stage_name, key in {Stage.INGEST: recording.sha256, **planned_keys(settings)}.items():
            session.add(
                StageRun(
                    recording_id=row_id(recording), stage=stage_name, status="completed", key=key
                )
            )
        session.commit()
    found = screened(folder, engine, settings)
    assert found.todo == []
    assert [o.note for o in found.settled.values()] == ["already stored"]


def test_a_thousand_files_that_are_not_audio_are_refused_in_seconds(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """Issue 28 asks for 50 refusals a second; the bench measures it (``mumu bench
    --mode batch``), this only checks no refusal costs a run or a transaction of its own."""
    folder = tmp_path / "junk"
    folder.mkdir()
    for index in range(1000):
        (folder / f"note{index}.mp3").write_text(f"note {index}\n")
    writes: list[int] = []
    record = runs.record_refusals

    def counted(engine: Engine, refusals: list[runs.Refusal], flow: str) -> list[int]:
        writes.append(len(refusals))
        return record(engine, refusals, flow)

    started = time.perf_counter()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(screen, "record_refusals", counted)
        found = screened(folder, engine, settings)
    elapsed = time.perf_counter() - started
    assert len(found.refused) == 1000
    assert writes == [500, 500]
    with Session(engine) as session:
        failed = session.exec(
            select(func.count()).select_from(Recording).where(col(Recording.status) == "failed")
        ).one()
    assert failed == 1000
    print(f"1000 refusals screened in {elapsed:.2f} s")


def _sha(path: Path) -> str:
    from mumu.intake.sources import content_hash

    return content_hash(path)
