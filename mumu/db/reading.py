"""Reads through the database's own DB-API driver, so that a read command starts fast.

``list``, ``show``, ``search`` and ``export`` are short processes whose queries take
milliseconds; importing SQLAlchemy, its ORM and the models cost them 0.3 s of the 0.55 to
0.8 s they ran (0025). The read models' SQL is plain text with ``:name`` parameters, run
here on a connection opened straight from the database URL (``connect``, the read
commands) or on one borrowed from a writer's SQLAlchemy engine (``reading``: flows, the
sidecar), so one SQL serves both. Values come back as the driver gives them: JSON as text
from SQLite and parsed from psycopg (``from_json``), times as text from SQLite.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import mumu.migrations

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

Row = dict[str, Any]
Params = Mapping[str, Any]
NAMED = re.compile(r"(?<![:\w]):(\w+)")
STREAMED_ROWS = 500


CONNECT_TIMEOUT_S = 10
"""A server that accepts the connection and never answers is given up after this."""


class DatabaseUnavailable(Exception):
    """The configured database cannot be reached, migrated, or read as it is."""


class NoSchema(DatabaseUnavailable):
    """The database has no mumu schema yet: nothing has been stored in it."""


class Database:
    """One connection to read from, SQLite or Postgres (``dialect``).

    SQL is written with ``:name`` parameters and no ``:word`` inside string literals."""

    dialect: str

    def rows(self, sql: str, params: Params | None = None) -> list[Row]:
        """Every row, read at once: for answers of bounded size."""
        return list(self._read(sql, params, streamed=False))

    def stream(self, sql: str, params: Params | None = None) -> Iterator[Row]:
        """Rows as they are read (a server-side cursor on Postgres): memory does not
        grow with the answer."""
        return self._read(sql, params, streamed=True)

    def _read(self, sql: str, params: Params | None, streamed: bool) -> Iterator[Row]:
        raise NotImplementedError

    def bound(self, sql: str, params: Params | None) -> tuple[str, dict[str, Any]]:
        """The SQL in the driver's parameter style, and the values as the columns store
        them: psycopg takes ``%(name)s``; SQLite keeps times as naive UTC text."""
        values = dict(params or {})
        if self.dialect == "postgresql":
            return NAMED.sub(r"%(\1)s", sql.replace("%", "%%")), values
        for name, value in values.items():
            if isinstance(value, datetime):
                naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
                values[name] = naive.isoformat(" ", "microseconds")
        return sql, values


class EmptyLibrary(Database):
    """Where nothing was ever stored (no SQLite file yet): every read finds no rows, so a
    read command lists, shows and searches nothing instead of checking for None."""

    dialect = "sqlite"

    def close(self) -> None:
        """Nothing was opened."""

    def _read(self, sql: str, params: Params | None, streamed: bool) -> Iterator[Row]:
        return iter(())


class DirectDatabase(Database):
    """A connection opened by the driver itself; a failure is one line, not a trace."""

    def __init__(self, connection: Any, dialect: str, url: str) -> None:
        self.connection = connection
        self.dialect = dialect
        self.url = url
        self._cursors = itertools.count()

    def close(self) -> None:
        self.connection.close()

    def _read(self, sql: str, params: Params | None, streamed: bool) -> Iterator[Row]:
        statement, values = self.bound(sql, params)
        try:
            if streamed and self.dialect == "postgresql":
                cursor = self.connection.cursor(name=f"mumu_stream_{next(self._cursors)}")
                cursor.itersize = STREAMED_ROWS
            else:
                cursor = self.connection.cursor()
            try:
                cursor.execute(statement, values)
                names = [column[0] for column in cursor.description]
                for row in cursor:
                    yield dict(zip(names, row, strict=True))
            finally:
                with suppress(Exception):  # a listing left unread after its connection
                    cursor.close()
        except Exception as exc:  # noqa: BLE001 - the driver's errors, as one line
            if self.dialect == "postgresql" and not self.connection.closed:
                self.connection.rollback()  # the next read starts afresh
            raise DatabaseUnavailable(describe_db_error(self.url, exc)) from exc


class PooledDatabase(Database):
    """A writer's pooled connection: SQLAlchemy's errors, reconnects and retries."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name

    def _read(self, sql: str, params: Params | None, streamed: bool) -> Iterator[Row]:
        statement, values = self.bound(sql, params)
        connection = self.connection
        if streamed:
            connection = connection.execution_options(
                stream_results=True, max_row_buffer=STREAMED_ROWS
            )
        for row in connection.exec_driver_sql(statement, values).mappings():
            yield dict(row)


Library: TypeAlias = "Engine | Database"
"""What the views read from: a writer's engine, of which each (retried) read borrows a
fresh pooled connection, so a connection cut mid-run costs a retry and not the read; or
a read command's own ``Database`` (``connect``), opened once by its driver."""


@contextmanager
def reading(source: Engine | Database) -> Iterator[Database]:
    """A connection to read from: the read command's own, or one from the engine's pool
    for the length of the block."""
    if isinstance(source, Database):
        yield source
        return
    with source.connect() as connection:
        yield PooledDatabase(connection)


def connect(url: str) -> DirectDatabase | EmptyLibrary:
    """The database of a read command, opened by its driver: an ``EmptyLibrary`` when
    nothing was ever stored there; ``DatabaseUnavailable`` when it cannot be reached or
    its schema is not this code's (``engine.check_schema`` then says which and what to
    do)."""
    backend = url.split(":", 1)[0].split("+", 1)[0]
    try:
        if backend == "sqlite":
            connection = _sqlite(url)
            if connection is None:
                return EmptyLibrary()
        elif backend == "postgresql":
            import psycopg

            connection = psycopg.connect(**postgres_arguments(url))
        else:
            _check_url(url)
            raise DatabaseUnavailable(
                f"database {safe_url(url)}: mumu stores in SQLite or Postgres"
            )
    except DatabaseUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - unreachable, refused: one line
        _check_url(url)
        raise DatabaseUnavailable(describe_db_error(url, exc)) from exc
    database = DirectDatabase(connection, backend, url)
    if schema_revision(database) != mumu.migrations.HEAD:
        from mumu.db.engine import check_schema

        try:
            check_schema(url)
        except DatabaseUnavailable as exc:
            database.close()
            if isinstance(exc, NoSchema):
                return EmptyLibrary()
            raise
    return database


SQLITE_DRIVER_OPTIONS = {
    "timeout",
    "check_same_thread",
    "isolation_level",
    "detect_types",
    "cached_statements",
}
TRUE = {"true", "yes", "on", "y", "t", "1"}
# SQLAlchemy's own URL pattern (sqlalchemy.engine.url._parse_url), so that a read
# command finds the parts where the engine finds them: a password holding "/", "?" or
# "#" unencoded is still the password.
URL = re.compile(
    r"""
    (?P<name>[\w\+]+)://
    (?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?
    (?:(?:\[(?P<ipv6host>[^/\?]+)\]|(?P<ipv4host>[^/:\?]+))?(?::(?P<port>[^/\?]*))?)?
    (?:/(?P<database>[^\?]*))?
    (?:\?(?P<query>.*))?
    """,
    re.X,
)
HOST_AND_PORT = re.compile(r"([a-zA-Z0-9\-\.]*):(\d*)")


def _sqlite(url: str) -> Any:
    """A connection to the file of a ``sqlite:///`` URL, None if there is no such file
    (a read never creates one); ``?uri=true`` URLs (``file:...?mode=ro``) as the engine
    opens them."""
    import sqlite3

    location, _, query = url.split("://", 1)[1].partition("?")
    path = unquote(location.removeprefix("/"))
    options = dict(parse_qsl(query))
    timeout = float(options.get("timeout", 30))
    if options.pop("uri", "").lower() not in TRUE:
        if not path or path == ":memory:" or not Path(path).exists():
            return None
        return sqlite3.connect(path, timeout=timeout)
    on_disk = unquote(urlsplit(path).path) if path.startswith("file:") else path
    if not Path(on_disk).exists():
        return None
    passed = {k: v for k, v in options.items() if k not in SQLITE_DRIVER_OPTIONS}
    return sqlite3.connect(f"{path}?{urlencode(passed)}", timeout=timeout, uri=True)


def postgres_arguments(url: str) -> dict[str, Any]:
    """psycopg's keyword arguments for a URL, read as the engine reads it: libpq never
    sees the URL itself, so none of its messages can quote it, password included.
    ``?host=`` given more than once, or as host:port, is several hosts, tried in turn."""
    found = URL.match(url)
    if found is None:
        raise ValueError("the URL does not parse")
    parts = found.groupdict()
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts["query"] or ""):
        query.setdefault(key, []).append(value)
    arguments: dict[str, Any] = {
        "host": parts["ipv4host"] or parts["ipv6host"],
        "port": int(parts["port"]) if parts["port"] else None,
        "user": unquote(parts["username"]) if parts["username"] is not None else None,
        "password": unquote(parts["password"]) if parts["password"] is not None else None,
        "dbname": unquote(parts["database"]) if parts["database"] else None,
    }
    hosts = query.pop("host", [])
    arguments |= {key: values[-1] for key, values in query.items()}
    if len(hosts) > 1 or (hosts and "port" not in query and HOST_AND_PORT.fullmatch(hosts[0])):
        pairs = [host.partition(":")[::2] for host in hosts]
        arguments["host"] = ",".join(host for host, _ in pairs)
        if any(port for _, port in pairs):
            arguments["port"] = ",".join(port for _, port in pairs)
    elif hosts:
        arguments["host"] = hosts[0]
    arguments.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    return {name: value for name, value in arguments.items() if value is not None}


def schema_revision(database: Database) -> str | None:
    """The schema revision Alembic recorded; None without one (no table, no row)."""
    try:
        found = database.rows("SELECT version_num FROM alembic_version")
    except Exception:  # noqa: BLE001 - no table: check_schema says what is missing
        return None
    return str(found[0]["version_num"]) if len(found) == 1 else None


def _check_url(url: str) -> None:
    """``DatabaseUnavailable`` saying what is wrong with a URL that does not parse (its
    port not a number, no dialect), as the engine says it."""
    from mumu.db.engine import get_engine

    get_engine(url)


def from_json(value: Any) -> Any:
    """A JSON column as read by the driver: text from SQLite, parsed by psycopg."""
    return json.loads(value) if isinstance(value, str) else value


def describe_db_error(url: str, exc: BaseException) -> str:
    """A one-line reason that names the database without its password (nor quotes it,
    should a driver's message hold it)."""
    if isinstance(exc, DatabaseUnavailable):
        return str(exc)
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = reason[0] if reason else type(exc).__name__
    for secret in _passwords(url):
        first = first.replace(secret, "***")
    return f"database {safe_url(url)} unavailable: {first}"


def _passwords(url: str) -> set[str]:
    """The URL's password as written and as meant, where long enough to scrub."""
    found = URL.match(url)
    password = found["password"] if found else None
    return {p for p in (password, unquote(password)) if len(p) >= 4} if password else set()


def safe_url(url: str) -> str:
    """The URL to show: its password hidden; only the scheme if it does not parse."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        scheme = url.split(":", 1)[0] if ":" in url else ""
        return f"{scheme}:..." if scheme.isidentifier() or "+" in scheme else "(unparseable)"
