import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import SecretStr
from sqlalchemy import inspect
from sqlmodel import SQLModel

import mumu.db.models  # noqa: F401 - the tables
import mumu.migrations
from mumu.db.engine import (
    check_schema,
    engine_for,
    get_engine,
    include_in_schema_comparison,
    upgrade,
)
from mumu.db.reading import DatabaseUnavailable
from mumu.settings import Settings
from tests.conftest import create_database, drop_database, user_environment

pytestmark = pytest.mark.both_databases


def test_migrations_build_exactly_the_models_schema(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    engine = get_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": include_in_schema_comparison}
        )
        diff = compare_metadata(context, SQLModel.metadata)
        tables = set(inspect(connection).get_table_names())
    assert diff == []
    assert {
        "recordings",
        "transcripts",
        "segments",
        "insights",
        "stage_runs",
        "questions",
    } <= tables
    with engine.connect() as connection:
        found = MigrationContext.configure(connection).get_current_revision()
    assert found == mumu.migrations.HEAD, "mumu.migrations.HEAD names the newest migration"
    check_schema(database_url)


def test_a_reader_of_a_current_schema_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mumu.db'}"
    upgrade(url)
    probe = (
        "import sys\n"
        "from mumu.db.engine import check_schema\n"
        f"check_schema({url!r})\n"
        "print('alembic' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_an_unreachable_database_is_one_line_without_the_password() -> None:
    url = "postgresql+psycopg://mumu:s3cret-pw@127.0.0.1:1/mumu?connect_timeout=2"
    with pytest.raises(DatabaseUnavailable) as caught:
        upgrade(url)
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert "\n" not in message
    assert "127.0.0.1:1" in message


def test_the_first_use_from_many_threads_migrates_once(tmp_path: Path) -> None:
    """A batch's recordings start in threads; the first of them must not race Alembic."""
    settings = Settings(database_url=SecretStr(f"sqlite:///{tmp_path / 'fresh.db'}"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        engines = list(pool.map(lambda _: engine_for(settings.database), range(4)))
    assert len(set(map(id, engines))) == 1


@pytest.mark.e2e
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_processes_starting_on_a_new_database_at_once_migrate_it_once(
    backend: str, tmp_path: Path, prefect_home: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}" if backend == "sqlite" else create_database("race")
    env = user_environment(url, prefect_home, tmp_path)
    try:
        starts = [
            subprocess.Popen(
                [sys.executable, "-m", "mumu", "db", "upgrade"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(4)
        ]
        outputs = [process.communicate(timeout=120)[0] for process in starts]
        assert [process.returncode for process in starts] == [0] * 4, outputs
        assert all(output.strip() == "database schema is up to date" for output in outputs)
    finally:
        if backend == "postgres":
            drop_database(url)


def test_mono_recordings_decoded_before_speaker_channels_are_not_redone(
    database_url: str,
) -> None:
    """Migration 0008: a mono file decodes as it did; a stereo one is looked at again."""
    from alembic import command
    from sqlalchemy import text

    from mumu.db.engine import alembic_config
    from mumu.stages.audio import AudioOptions

    engine = get_engine(database_url)
    config = alembic_config(database_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")  # a new database
        command.downgrade(config, "0007")  # one the fixture brought to the newest
    with engine.begin() as connection:
        for number, channels in ((1, 1), (2, 2)):
            connection.execute(
                text(
                    "INSERT INTO recordings (id, source, status, channels, created_at, updated_at)"
                    " VALUES (:id, :source, 'completed', :channels, :now, :now)"
                ),
                {"id": number, "source": f"r{number}", "channels": channels, "now": "2026-11-26"},
            )
            connection.execute(
                text(
                    "INSERT INTO stage_runs (recording_id, stage, status, key, attempts)"
                    " VALUES (:id, 'audio', 'completed', 'pyav-16k-mono', 1)"
                ),
                {"id": number},
            )
    upgrade(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT recording_id, key FROM stage_runs")).all()
    keys = {int(row[0]): str(row[1]) for row in rows}
    assert keys == {1: AudioOptions(max_duration_s=60).key, 2: "pyav-16k-mono"}
