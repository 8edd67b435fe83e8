"""Eight recordings at once on Postgres, one of them submitted twice at the same moment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from mumu.db.models import Recording, Segment, StageRun, Transcript
from mumu.settings import get_settings
from mumu.transcription.audio import decode, write_wav
from tests.conftest import DATA_DIR
from tests.flows import batch

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_eight_at_once_each_recording_processed_once(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUMU_BATCH_CONCURRENCY", "8")
    get_settings.cache_clear()
    speech = decode(DATA_DIR / "multilingual.mp3", 3600).samples
    sources = [
        str(DATA_DIR / name)
        for name in ("jfk.flac", "hotwords.mp3", "stereo_diarization.wav", "multilingual.mp3")
    ]
    for part in range(3):
        clip = speech[part * 16_000 * 8 : (part + 1) * 16_000 * 8]
        sources.append(str(write_wav(tmp_path / f"part{part}.wav", clip)))
    twin = tmp_path / "jfk-twin.flac"
    shutil.copy(DATA_DIR / "jfk.flac", twin)
    sources.append(str(twin))
    assert len(sources) == 8

    outcomes = batch(sources)

    assert [o.status for o in outcomes] == ["completed"] * 8, [o.error for o in outcomes]
    by_source = {Path(o.source).name: o for o in outcomes}
    assert by_source["jfk-twin.flac"].recording_id == by_source["jfk.flac"].recording_id
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Recording)).one() == 7
        assert session.exec(select(func.count()).select_from(Transcript)).one() == 7
        transcribes = session.exec(select(StageRun).where(StageRun.stage == "transcribe")).all()
        assert len(transcribes) == 7
        assert all(run.attempts == 1 and run.status == "completed" for run in transcribes)
        duplicates = session.exec(
            select(Segment.recording_id, Segment.idx, func.count())
            .group_by(col(Segment.recording_id), col(Segment.idx))
            .having(func.count() > 1)
        ).all()
        assert duplicates == []
        assert all(r.claimed_by is None for r in session.exec(select(Recording)))
