"""The reader role: it reads the library, and cannot write to it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from starlette.testclient import TestClient

from mumu.db import views
from mumu.db.reading import DatabaseUnavailable, connect
from mumu.db.roles import grant_reader
from mumu.settings import Settings
from mumu.sidecar.app import create_app
from tests.conftest import POSTGRES_ADMIN_URL, run_mumu


@pytest.fixture
def reader_role() -> Iterator[str]:
    role = f"mumu_reader_{uuid.uuid4().hex[:8]}"
    yield role
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        for (database,) in admin.execute("SELECT datname FROM pg_database WHERE NOT datistemplate"):
            try:
                with psycopg.connect(
                    POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}", autocommit=True
                ) as each:
                    each.execute(f'DROP OWNED BY "{role}"')
            except psycopg.Error:
                pass
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_the_reader_reads_the_library_and_cannot_change_it(
    stored: Engine, settings: Settings, database_url: str, reader_role: str
) -> None:
    assert grant_reader(database_url, reader_role, SecretStr("reader-pw")) is True
    assert grant_reader(database_url, reader_role, None) is False, "granted again: the same"
    as_reader = database_url.replace("postgres@", f"{reader_role}:reader-pw@")

    database = connect(as_reader)
    try:
        [row] = views.page_of_recordings(database, views.RecordingFilter(), None)
        assert row.source == "/in/100%_call.wav"
    finally:
        database.close()
    with psycopg.connect(as_reader.replace("+psycopg", "")) as connection:
        for statement in (
            "INSERT INTO recordings (source, status, speakers, created_at, updated_at) "
            "VALUES ('x', 'pending', '{}', now(), now())",
            "UPDATE recordings SET status = 'failed'",
            "DELETE FROM segments",
            "CREATE TABLE planted (id int)",
        ):
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                connection.execute(statement)
            connection.rollback()
        connection.execute("SET default_transaction_read_only = off")
        connection.execute("BEGIN READ WRITE")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("DELETE FROM segments")
        connection.rollback()

    reading = settings.model_copy(
        update={"database_url": SecretStr(as_reader), "access_tokens": SecretStr("t")}
    )
    page = TestClient(create_app(reading, None)).get(
        "/recordings/1", headers={"Authorization": "Bearer t"}
    )
    assert page.status_code == 200 and "Refund please?" in page.text


def test_a_reader_role_is_for_postgres(tmp_path: object) -> None:
    with pytest.raises(DatabaseUnavailable, match="for Postgres"):
        grant_reader("sqlite:///x.db", "reader", None)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_role_that_writes_is_not_made_a_reader(
    stored: Engine, database_url: str, reader_role: str
) -> None:
    with pytest.raises(DatabaseUnavailable, match="it is the role this command connects as"):
        grant_reader(database_url, "postgres", None)
    grant_reader(database_url, reader_role, SecretStr("reader-pw"))
    with stored.begin() as connection:
        connection.exec_driver_sql(f'GRANT INSERT ON recordings TO "{reader_role}"')
    with pytest.raises(DatabaseUnavailable, match="it may write to mumu's tables"):
        grant_reader(database_url, reader_role, None)


@pytest.mark.e2e
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_command_that_writes_with_the_readers_url_is_one_line(
    stored: Engine, database_url: str, reader_role: str, cli_env: dict[str, str]
) -> None:
    grant_reader(database_url, reader_role, SecretStr("reader-pw"))
    as_reader = database_url.replace("postgres@", f"{reader_role}:reader-pw@")
    refused = run_mumu("delete", "1", "--yes", env=cli_env | {"MUMU_DATABASE_URL": as_reader})
    assert refused.returncode == 2, refused.stderr
    assert "Traceback" not in refused.stderr and "read-only" in refused.stderr
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("error: database")
    assert "reader-pw" not in refused.stderr
    assert views.recording_row(stored, 1) is not None, "nothing was erased"
