"""A lost connection or a locked SQLite file is tried again; a full disk is said at once."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from mumu.db import retry


def _sqlite_error(message: str, code: int) -> OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return OperationalError("UPDATE recordings ...", {}, error)


@pytest.mark.parametrize(
    ("error", "calls"),
    [
        (_sqlite_error("database is locked", sqlite3.SQLITE_BUSY), 2),
        (_sqlite_error("database or disk is full", sqlite3.SQLITE_FULL), 1),
    ],
)
def test_a_full_disk_is_not_waited_on_as_a_lost_connection_is(
    monkeypatch: pytest.MonkeyPatch, error: OperationalError, calls: int
) -> None:
    monkeypatch.setattr(retry, "RECONNECT_DELAYS_S", (0.0,))
    tries: list[int] = []

    @retry.retrying
    def write() -> None:
        tries.append(1)
        raise error

    with pytest.raises(OperationalError):
        write()
    assert len(tries) == calls
