"""Engines, transactions and the schema, for SQLite and Postgres alike.

Writers (``mumu run``, the flows, ``mumu db upgrade``) bring the schema up to date
before their first write: ``engine_for``. Readers use the schema as they find it and say
when it is behind: the sidecar through ``read_engine``, the read commands (``list``,
``show``, ``search``, ``export``) through the driver alone (``reading.connect``). A new
sidecar must never move a production schema ahead of workers still running the old
code.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlmodel import Session

import mumu.migrations
from mumu.db.reading import (
    CONNECT_TIMEOUT_S,
    DatabaseUnavailable,
    NoSchema,
    describe_db_error,
    reading,
    safe_url,
    schema_revision,
)
from mumu.errors import one_line
from mumu.setting_groups import DatabaseConfig

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(mumu.migrations.__file__).parent
MIGRATION_LOCK_KEY = 0x6D756D75  # "mumu"


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One engine (and pool) per URL per process."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        waits = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT_S}
        return create_engine(url, pool_pre_ping=True, connect_args=waits)
    except (ArgumentError, ValueError, NoSuchModuleError) as exc:
        reason = "its port is not a number" if isinstance(exc, ValueError) else one_line(exc)
        raise DatabaseUnavailable(
            f"database URL {safe_url(url)} is not valid ({reason}): it reads "
            "dialect+driver://user:password@host:port/database"
        ) from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_migration_lock = threading.Lock()


_migrated: set[str] = set()


def _migrated_engine(url: str) -> Engine:
    """``get_engine``'s engine, so a writer and a reader of one URL share one pool, once
    the schema was brought up to date in this process."""
    with _migration_lock:  # Alembic's context is process-global: one migration at a time
        if url not in _migrated:
            upgrade(url)
            _migrated.add(url)
    return get_engine(url)


def engine_for(database: DatabaseConfig) -> Engine:
    """The engine of a writer: the schema brought up to date once per process."""
    return _migrated_engine(database.url_value)


_checked: set[str] = set()


def read_engine(database: DatabaseConfig) -> Engine:
    """The engine of a reader: the schema as found; ``DatabaseUnavailable`` when it is
    missing, behind or ahead of this code, saying what to do."""
    url = database.url_value
    engine = get_engine(url)
    if url not in _checked:
        check_schema(url)
        _checked.add(url)
    return engine


def check_schema(url: str) -> None:
    """Whether the schema is this code's. The usual answer (it is) costs one query;
    Alembic, a sixth of a second to import, is loaded only to explain a mismatch."""
    try:
        with reading(get_engine(url)) as database:
            if schema_revision(database) == mumu.migrations.HEAD:
                return
    except Exception:  # noqa: BLE001, S110 - no database, a URL that does not parse: said below
        pass
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    shown = safe_url(url)
    try:
        with get_engine(url).connect() as connection:
            found = MigrationContext.configure(connection).get_current_revision()
    except Exception as exc:  # noqa: BLE001 - reported as one line, never a traceback
        raise DatabaseUnavailable(describe_db_error(url, exc)) from exc
    scripts = ScriptDirectory.from_config(alembic_config(url))
    head = scripts.get_current_head()
    if found == head:
        return
    if found is None:
        raise NoSchema(f"database {shown} has no mumu schema yet: run `mumu db upgrade`")
    if found in {script.revision for script in scripts.walk_revisions()}:
        raise DatabaseUnavailable(
            f"database {shown} has schema revision {found}, this mumu needs {head}: "
            "run `mumu db upgrade`"
        )
    raise DatabaseUnavailable(
        f"database {shown} has schema revision {found}, newer than this mumu ({head}): upgrade mumu"
    )


def include_in_schema_comparison(name: str | None, type_: str, _parents: Any) -> bool:
    """The full-text index lives outside the models (FTS5 tables, Postgres's generated
    ``search_vector`` column and its index), as do the metric totals' triggers."""
    return not (name or "").startswith(("segments_fts", "search_vector", "ix_segments_search"))


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


def upgrade(url: str) -> None:
    """Bring the schema to the newest revision (creating it on a new database).

    Several processes may start on a new database at once (``mumu run`` twice, workers
    coming up): one migrates while the others wait for it, then find nothing to do. The
    usual answer (nothing to do) costs one query: Alembic and its scripts are loaded
    only when there is something to migrate, or to explain.
    """
    if _at_head(url):
        _checked.add(url)
        return
    try:
        engine = get_engine(url)
        with _migration_lock_for(engine), engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
            from alembic import command

            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except Exception as exc:  # noqa: BLE001 - reported as one line, never a traceback
        raise DatabaseUnavailable(describe_db_error(url, exc)) from exc
    _checked.add(url)


def _at_head(url: str) -> bool:
    try:
        with reading(get_engine(url)) as database:
            return schema_revision(database) == mumu.migrations.HEAD
    except Exception:  # noqa: BLE001 - no database yet, or unreachable: upgrade says which
        return False


@contextmanager
def _migration_lock_for(engine: Engine) -> Iterator[None]:
    """SQLite has no advisory locks: a lock file beside the database stands in."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{Path(database).expanduser()}.migrate.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
