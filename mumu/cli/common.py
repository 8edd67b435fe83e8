"""What every ``mumu`` command shares: the Typer app, the consoles, one-line failures, text
shown as it is, and the database handles of commands that store and commands that read."""

from __future__ import annotations

import gc
import json
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.text import Text

from mumu.db import views
from mumu.db.reading import Database, DatabaseUnavailable, EmptyLibrary, connect
from mumu.settings import get_settings
from mumu.text import escaped

if TYPE_CHECKING:
    from sqlalchemy import Engine


app = typer.Typer(
    help="mumu: recordings in; transcripts, summaries and action items out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()
errors = Console(stderr=True)
STATUS_COLOURS = {"completed": "green", "notes_failed": "yellow"}


@contextmanager
def importing() -> Iterator[None]:
    """Heavy imports (SQLAlchemy, Prefect) without the cyclic garbage collector, which
    they set off hundreds of times while making no garbage worth collecting: about a
    tenth of a second of ``mumu run``'s start-up (issue 28). What they made is then left
    out of later collections (``gc.freeze``), which so stay short."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def fail(message: str, code: int = 2) -> typer.Exit:
    """One line on stderr, however narrow the terminal: a log or a pipe keeps it whole."""
    said = Text.assemble(("error:", "red"), " ", plain(message))
    errors.print(said, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def plain(value: object) -> Text:
    """Text from a recording, an LLM, a file name or a server, shown as it is.

    Never read as Rich markup (``[/]`` or ``[link=...]`` in a title is text), and with
    terminal control characters made visible instead of obeyed.
    """
    text = "" if value is None else str(value)
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return Text(escaped(text))


def writer() -> Engine:
    """The database of a command that stores: its schema brought up to date."""
    from mumu.db.engine import engine_for

    try:
        return engine_for(get_settings().database)
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None


@contextmanager
def reader() -> Iterator[Database]:
    """The database of a command that only reads, as found, opened by its driver (0025):
    an empty library when nothing was ever stored in it; an error, not a migration, when
    its schema is not this code's."""
    try:
        database = connect(get_settings().database.url_value)
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None
    try:
        yield database
    except DatabaseUnavailable as exc:  # lost or refused while reading
        raise fail(str(exc)) from None
    finally:
        database.close()


def search_engine() -> Engine | None:
    """The database of a hybrid search, which stores the vectors still missing: the
    engine, once the driver has found a library whose schema is this code's (a read
    command never migrates, nor makes a database); None for an empty library."""
    from mumu.db.engine import read_engine

    with reader() as database:
        if isinstance(database, EmptyLibrary):
            return None
    try:
        return read_engine(get_settings().database)
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None


def parse_since(value: str | None) -> datetime | None:
    """A date or date and time (UTC when no zone is given), or a span back from now."""
    if value is None:
        return None
    span = re.fullmatch(r"(\d+)\s*([dhm])", value.strip().lower())
    if span:
        hours = {"d": 24.0, "h": 1.0, "m": 1 / 60}[span.group(2)] * int(span.group(1))
        moment = datetime.now(UTC) - timedelta(hours=hours)
    else:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise fail(f"--since {value!r}: give a date (2026-11-01) or a span (7d, 12h)") from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def print_json_array(items: Iterable[object]) -> None:
    """A JSON array written as the items come, so a large listing is never held whole."""
    write = sys.stdout.write
    write("[")
    written = 0
    for item in items:
        write(",\n" if written else "\n")
        write(json.dumps(item, ensure_ascii=False))
        written += 1
    write("\n]\n" if written else "]\n")


def recording_detail(recording_id: int) -> views.RecordingDetail:
    with reader() as database:
        detail = views.recording_detail(database, recording_id)
    if detail is None:
        raise fail(f"no recording with id {recording_id}")
    return detail
