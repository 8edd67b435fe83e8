"""Postgres connections cut under a running batch (pg_terminate_backend): nothing lost."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from sqlalchemy import Engine, func
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from mumu.db.models import Recording, StageRun, Transcript
from mumu.outcome import RecordingOutcome
from tests.conftest import DATA_DIR, POSTGRES_ADMIN_URL
from tests.flows import batch

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_connections_cut_mid_run_are_retried_and_nothing_is_lost(
    engine: Engine, database_url: str
) -> None:
    """Every connection of the run is cut twice a second, for as long as it runs: a
    flapping network or failover, many cuts inside each stage. Not every 50 ms: then a
    transaction that takes longer (a transcript's segments, whose inserts fire the metric
    triggers) can never commit on a loaded machine, which no retry policy survives and no
    real outage looks like."""
    database = make_url(database_url).database
    outcomes: list[RecordingOutcome] = []
    sources = [str(DATA_DIR / n) for n in ("jfk.flac", "hotwords.mp3", "multilingual.mp3")]
    running = threading.Thread(target=lambda: outcomes.extend(batch(sources)))
    running.start()
    killed = 0
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        while running.is_alive():
            killed += len(
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (database,),
                ).fetchall()
            )
            time.sleep(0.5)
    running.join()

    assert killed > 0
    assert [o.status for o in outcomes] == ["completed"] * 3, [o.error for o in outcomes]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Recording)).one() == 3
        assert session.exec(select(func.count()).select_from(Transcript)).one() == 3
        runs = session.exec(select(StageRun)).all()
        assert len(runs) == 12
        assert all(run.status in ("completed", "skipped") for run in runs)
