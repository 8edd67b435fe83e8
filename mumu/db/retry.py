"""Running a transaction again when the database connection was lost under it."""

from __future__ import annotations

import contextvars
import functools
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

SQLITE_FULL = 13
POSTGRES_DISK_FULL = "53100"
RECONNECT_DELAYS_S = (0.1, 0.2, 0.5, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0)
T = TypeVar("T")
P = ParamSpec("P")
_patient = contextvars.ContextVar("patient", default=True)


@contextmanager
def at_once() -> Iterator[None]:
    """Reads here are not retried: a person waiting on a page is told the database is
    unavailable now, not after the dozen seconds a flow would wait for it."""
    token = _patient.set(False)
    try:
        yield
    finally:
        _patient.reset(token)


def retrying(function: Callable[P, T]) -> Callable[P, T]:
    """Run a whole transaction again when the database connection was lost under it.

    A dropped connection (a restarted server, ``pg_terminate_backend``, a failover) rolls
    the transaction back, so doing it again is safe; every function decorated here is
    one transaction, or idempotent as a whole. The pool's pre-ping replaces the dead
    connection. SQLite's "database is locked" is retried the same way.
    """

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        if not _patient.get():
            return function(*args, **kwargs)
        for delay in RECONNECT_DELAYS_S:
            try:
                return function(*args, **kwargs)
            except Exception as exc:
                if not _reconnectable(exc):
                    raise
                time.sleep(delay)
        return function(*args, **kwargs)

    return wrapper


def _reconnectable(exc: Exception) -> bool:
    """A lost connection of an engine's pool; an error of a read command's own
    connection (no SQLAlchemy loaded) is reported at once instead."""
    if "sqlalchemy.exc" not in sys.modules:
        return False
    from sqlalchemy.exc import DBAPIError, OperationalError

    if not isinstance(exc, DBAPIError) or _disk_full(exc.orig):
        return False
    return exc.connection_invalidated or isinstance(exc, OperationalError)


def _disk_full(error: BaseException | None) -> bool:
    """A full disk is said at once: it does not pass in the seconds a lost connection
    takes to come back (SQLite's SQLITE_FULL, Postgres's disk_full)."""
    return (
        getattr(error, "sqlite_errorcode", None) == SQLITE_FULL
        or getattr(error, "sqlstate", None) == POSTGRES_DISK_FULL
    )
