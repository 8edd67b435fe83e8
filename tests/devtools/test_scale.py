"""The library benchmark: what it seeds is what the reads it times look for."""

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from mumu.db.models import PipelineRun, Recording, Segment, StageRun
from mumu.devtools.scale import COMMON, SEGMENTS_PER_RECORDING, measure, reads, seed
from mumu.library.search import search
from tests.conftest import run_mumu


def count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.mark.slow
def test_sizes_are_seeded_on_top_of_each_other_and_every_read_is_timed(engine: Engine) -> None:
    assert seed(engine, 40) == 40
    assert seed(engine, 60) == 60
    assert count(engine, Recording) == 60
    assert count(engine, Segment) == 60 * SEGMENTS_PER_RECORDING
    assert count(engine, StageRun) == 60 * 4 and count(engine, PipelineRun) == 60
    assert len(search(engine, COMMON, 10)) == 10
    [(size, timings)] = list(measure(engine, [60]))
    assert size == 60 and set(timings) == set(reads(engine, 60))
    assert all(seconds > 0 for seconds in timings.values())


def test_a_database_with_recordings_of_its_own_is_refused(
    engine: Engine, cli_env: dict[str, str], tmp_path: Path
) -> None:
    with Session(engine) as session:
        session.add(Recording(source="/home/ann/standup.wav", status="completed"))
        session.commit()
    url = cli_env["MUMU_DATABASE_URL"]
    result = run_mumu("bench-library", "10", "--database", url, env=cli_env)
    assert result.returncode == 2
    assert "holds recordings of its own: give a scratch database" in result.stderr
    assert count(engine, Recording) == 1
