"""Reads through the driver: the same answers as through the engine, one-line failures,
and read commands that never load SQLAlchemy or the models."""

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import QueuePool

from mumu.db.reading import (
    CONNECT_TIMEOUT_S,
    DatabaseUnavailable,
    EmptyLibrary,
    connect,
    postgres_arguments,
    reading,
)
from mumu.db.views import RecordingFilter, count_recordings, page_of_recordings, recording_detail
from mumu.library.search import Within, search
from tests.conftest import user_environment

pytestmark = pytest.mark.both_databases


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_the_driver_reads_what_the_engine_reads(stored: Engine) -> None:
    database = connect(url_of(stored))
    assert database is not None
    try:
        detail = recording_detail(database, 1)
        assert detail == recording_detail(stored, 1)
        assert detail is not None and detail.transcript is not None and detail.insights
        assert [s.speaker for s in detail.transcript.segments] == ["Agent", "Agent"]
        assert detail.transcript.segments[1].words[0]["word"] == "Refund please?"
        assert detail.insights.action_items[0].evidence[0].start == 4.0
        assert [stage.name for stage in detail.stages] == ["ingest", "transcribe"]
        since = Within(since=datetime(2000, 1, 1, tzinfo=UTC), source="*100%_call*")
        assert search(database, "refund", within=since) == search(stored, "refund", within=since)
        assert [hit.text for hit in search(database, "refund", within=since)] == ["Refund please?"]
        chosen = RecordingFilter(source="*100%*", since=datetime(2000, 1, 1, tzinfo=UTC))
        assert [row.id for row in page_of_recordings(database, chosen, None, 0)] == [1]
        assert count_recordings(database, chosen) == count_recordings(stored, chosen) == 1
        assert list(page_of_recordings(database, RecordingFilter(), None, 1)) == []
    finally:
        database.close()


def test_a_borrowed_connection_goes_back_to_the_pool(stored: Engine) -> None:
    with reading(stored) as database:
        assert database.rows("SELECT count(*) AS n FROM recordings")[0]["n"] == 1
    assert isinstance(stored.pool, QueuePool)
    assert stored.pool.checkedout() == 0


def test_nothing_stored_yet_reads_as_an_empty_library(tmp_path: Path) -> None:
    missing = tmp_path / "never" / "mumu.db"
    library = connect(f"sqlite:///{missing}")
    everything = RecordingFilter()
    assert isinstance(library, EmptyLibrary)
    assert count_recordings(library, everything) == 0
    assert list(page_of_recordings(library, everything, None)) == []
    assert recording_detail(library, 1) is None
    assert search(library, "budget") == []
    assert not missing.parent.exists()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://mumu:s3cret-pw@127.0.0.1:1/library",
        "postgresql+psycopg://mumu:s3cret pw@127.0.0.1:1/library",
        "postgresql+psycopg://mumu:s3cret%zzpw@127.0.0.1:1/library",
        "postgresql+psycopg://mumu:s3cret-pw@[::1/library",
    ],
)
def test_an_unreachable_database_is_one_line_without_its_password(url: str) -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        connect(url)
    message = str(caught.value)
    assert "s3cret" not in message and "\n" not in message
    assert message.startswith("database ")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://ann:Zm9v/YmFy+c2V#j?cmV0@127.0.0.1:5432/library",
        "postgresql+psycopg://ann:p%40ss@[::1]:5433/my%20library?sslmode=require",
        "postgresql+psycopg://ann@/library?host=/var/run/postgresql",
        "postgresql+psycopg://ann@/library?host=10.0.0.1:5432",
        "postgresql+psycopg://ann@/library?host=primary&host=standby:5433",
        "postgresql+psycopg://ann:pw@h/library?host=a,b&port=1,2",
    ],
)
def test_a_postgres_url_means_what_it_means_to_the_engine(url: str) -> None:
    """Where the read commands connect, and as whom, is where the writers do."""
    engine = create_engine(url)
    _, expected = engine.dialect.create_connect_args(engine.url)
    expected.pop("context", None)
    expected.setdefault("connect_timeout", CONNECT_TIMEOUT_S)  # what get_engine adds
    given = postgres_arguments(url)
    assert {k: str(v) for k, v in given.items()} == {k: str(v) for k, v in expected.items()}


def test_a_failed_read_is_one_line_and_the_next_read_works(stored: Engine) -> None:
    database = connect(url_of(stored))
    assert database is not None
    try:
        with pytest.raises(DatabaseUnavailable, match="no_such_table"):
            database.rows("SELECT * FROM no_such_table")
        first = page_of_recordings(database, RecordingFilter(), None)
        second = page_of_recordings(database, RecordingFilter(), None)
        assert next(first).id == next(second).id == 1, "two listings read at once"
        assert count_recordings(database, RecordingFilter(language="de")) == 1
    finally:
        database.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sqlite_uri_url_opens_the_file_read_only(stored: Engine, tmp_path: Path) -> None:
    path = stored.url.database
    database = connect(f"sqlite:///file:{path}?mode=ro&uri=true&timeout=5")
    assert database is not None
    try:
        assert [row.id for row in page_of_recordings(database, RecordingFilter(), 5)] == [1]
        with pytest.raises(DatabaseUnavailable, match="readonly"):
            database.rows("DELETE FROM recordings")
    finally:
        database.close()
    assert isinstance(
        connect(f"sqlite:///file:{tmp_path / 'none.db'}?mode=ro&uri=true"), EmptyLibrary
    )


def test_read_commands_load_neither_sqlalchemy_nor_the_models(
    stored: Engine, database_url: str, prefect_home: Path, tmp_path: Path
) -> None:
    """``list``, ``show``, ``search`` and ``export`` import only what they use (0025)."""
    program = """
import json, sys
from typer.testing import CliRunner
from mumu.cli import app
for arguments in (["list"], ["show", "1"], ["search", "refund"], ["export", "1"]):
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""
    environment = user_environment(database_url, prefect_home, tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", program], env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert "typer" in loaded and "rich" in loaded
    assert not loaded & {"sqlalchemy", "sqlmodel", "alembic", "prefect", "faster_whisper"}
