"""The ``mumu`` command, a module per group of commands.

``common`` (the app, consoles, failures, database handles), ``run`` (the pipeline),
``library`` (list, show, export, search, ask, speakers), ``erase`` (delete), ``admin`` (db upgrade,
sidecar), ``devtools`` (eval, bench, bench-library). Importing the package registers
every command on ``app``, in the order of these imports, which ``mumu --help`` keeps.
"""

import atexit
import io
import os
import sys
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import NoReturn

# isort: off
from mumu.cli import run, library, erase, admin, devtools
from mumu.cli.common import app, fail

# isort: on
from pydantic import ValidationError

from mumu.errors import ConfigurationError

__all__ = ["admin", "app", "devtools", "erase", "library", "main", "run"]


def main() -> None:
    """``mumu``: the commands, with what goes wrong around them said in one line, and a
    quick exit once they are done."""
    try:
        _command()
    except SystemExit as done:
        _leave(done.code)
    _leave(0)


def _leave(code: str | int | None) -> NoReturn:
    """Exit as the interpreter would, without tearing down every module and object.
    The first two steps of the interpreter's own exit run as they would: threads are
    shut down (thread pools told to stop, then every thread that is not a daemon waited
    for, such as a notice still being sent) and exit handlers run (Prefect's send the
    last logs and events, coverage saves its data). The teardown after them, about
    0.7 s once Prefect, SQLAlchemy and a Whisper model are loaded, is skipped (issue 28:
    start-up)."""
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    shut_down_threads: Callable[[], None] = threading._shutdown  # type: ignore[attr-defined]
    shut_down_threads()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(code or 0)


def _command() -> None:
    """A terminal that cannot show a character gets a stand-in for it; a configuration
    that does not hold, and an output that cannot be written (a full disk, a closed
    pipe), end the command with one line on stderr and exit 2, never a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    try:
        app(prog_name="mumu")
    except ConfigurationError as exc:
        fail(str(exc))
        sys.exit(2)
    except BrokenPipeError:  # the reader went away (`mumu list | head`): nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as exc:
        if exc.filename is not None:
            raise
        fail(f"cannot write the output: {exc.strerror or exc}")
        sys.exit(2)
    except ValidationError as exc:  # Prefect's own settings (PREFECT_...), read on import
        problem = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in problem["loc"])
        fail(f"a PREFECT_ setting does not hold ({exc.title} {where}): {problem['msg']}")
        sys.exit(2)
    except Exception as exc:
        if not _from_the_database(exc):
            raise
        from mumu.db.reading import describe_db_error
        from mumu.settings import get_settings

        fail(describe_db_error(get_settings().database.url_value, exc))
        sys.exit(2)


def _from_the_database(exc: Exception) -> bool:
    """An error the database answered (a reader's URL given to a command that writes, a
    permission, a lost server): said in one line, never as a traceback."""
    dbapi = [sys.modules.get(name) for name in ("sqlalchemy.exc", "psycopg", "sqlite3")]
    kinds = [
        getattr(module, kind)
        for module, kind in zip(dbapi, ("DBAPIError", "Error", "Error"), strict=True)
        if module is not None
    ]
    return bool(kinds) and isinstance(exc, tuple(kinds))
