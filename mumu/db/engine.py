"""Database engines and schema migrations, for SQLite and Postgres alike."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

import mumu.migrations

MIGRATIONS_DIR = Path(mumu.migrations.__file__).parent


class DatabaseUnavailable(Exception):
    """The configured database cannot be reached or migrated."""


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One engine (and pool) per URL per process."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def include_in_schema_comparison(name: str | None, type_: str, _parents: Any) -> bool:
    """The full-text index lives outside the models (FTS5 tables, an expression index)."""
    return not (name or "").startswith(("segments_fts", "ix_segments_fts"))


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


def upgrade(url: str) -> None:
    """Bring the schema to the newest revision (creating it on a new database)."""
    try:
        with get_engine(url).begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except Exception as exc:  # noqa: BLE001 - reported as one line, never a traceback
        raise DatabaseUnavailable(describe_db_error(url, exc)) from exc


def describe_db_error(url: str, exc: BaseException) -> str:
    """A one-line reason that names the database without its password."""
    safe_url = make_url(url).render_as_string(hide_password=True)
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = reason[0] if reason else type(exc).__name__
    return f"database {safe_url} unavailable: {first}"
