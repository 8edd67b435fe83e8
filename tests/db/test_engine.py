from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import SecretStr
from sqlalchemy import inspect
from sqlmodel import SQLModel

import mumu.db.models  # noqa: F401 - the tables
from mumu.db.engine import (
    DatabaseUnavailable,
    engine_for,
    get_engine,
    include_in_schema_comparison,
    upgrade,
)
from mumu.settings import Settings

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
        engines = list(pool.map(lambda _: engine_for(settings), range(4)))
    assert len(set(map(id, engines))) == 1
