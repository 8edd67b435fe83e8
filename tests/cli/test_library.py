"""The read commands in-process (``CliRunner``): what a person sees of a stored library."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from alembic import command as alembic_command
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

from mumu.access import Verdict, judge
from mumu.cli import app
from mumu.db.engine import alembic_config, get_engine
from mumu.migrations import HEAD
from mumu.settings import Settings, get_settings


def mumu(*args: str) -> Result:
    """The command as ``mumu ARGS`` runs it; a traceback fails the test."""
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def one_line_error(result: Result) -> str:
    assert result.exit_code == 2, result.stdout
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr.strip()


def test_list_shows_each_recording_and_where_the_page_is(stored: Engine) -> None:
    shown = mumu("list")
    assert shown.exit_code == 0
    assert "/in/100%_call.wav" in shown.stdout and "completed" in shown.stdout
    assert "1-1 of 1 recordings, newest first" in shown.stdout
    [row] = json.loads(mumu("list", "--json").stdout)
    assert row["id"] == 1 and row["status"] == "completed" and row["language"] == "de"
    assert "no recordings match" in mumu("list", "--status", "failed").stdout


def test_show_gives_notes_transcript_speakers_and_stages(stored: Engine) -> None:
    shown = mumu("show", "1").stdout
    assert "A refund. (00:04)" in shown
    assert "Pay (Agent) (00:04)" in shown
    assert "not kept (not found in what was said):" in shown
    assert "languages: de, en" in shown and "speakers: Agent" in shown
    assert "00:00:04.000 [en] Agent: Refund please?" in shown
    assert shown.index("ingest") < shown.index("transcribe"), "stages in pipeline order"


def test_show_says_what_the_gpu_running_out_of_memory_made_a_transcript_need(
    stored: Engine,
) -> None:
    assert "GPU memory" not in mumu("show", "1").stdout
    assert json.loads(mumu("show", "1", "--json").stdout)["transcript"]["fallback"] is None
    with stored.begin() as connection:
        connection.execute(text("UPDATE transcripts SET fallback = 'cpu'"))
    assert "transcribed on the CPU: GPU memory ran out" in mumu("show", "1").stdout
    assert json.loads(mumu("show", "1", "--json").stdout)["transcript"]["fallback"] == "cpu"


def test_export_writes_each_format_to_stdout_or_a_file(stored: Engine, tmp_path: Path) -> None:
    srt = mumu("export", "1", "--format", "srt").stdout
    assert srt.startswith("1\n00:00:00,000 --> 00:00:03,500\nAgent: Hallo.\n")
    assert json.loads(mumu("export", "1", "--format", "json").stdout)["id"] == 1
    notes = tmp_path / "notes.md"
    assert mumu("export", "1", "--format", "notes", "--output", str(notes)).exit_code == 0
    assert "Pay" in notes.read_text(encoding="utf-8")


def test_search_finds_what_was_said_with_its_moment(stored: Engine) -> None:
    found = mumu("search", "refund").stdout
    assert "100%_call.wav" in found and "00:04-00:07" in found
    [hit] = json.loads(mumu("search", "refund", "--json").stdout)
    assert hit["recording_id"] == 1 and hit["text"] == "Refund please?"


def test_text_from_a_recording_is_shown_never_obeyed(stored: Engine) -> None:
    with stored.begin() as connection:
        connection.execute(text("UPDATE insights SET title = '[bold red]x[/] \x1b[2J'"))
    shown = mumu("show", "1").stdout
    assert "[bold red]x[/]" in shown, "Rich markup printed as text"
    assert "\x1b" not in shown, "terminal control characters made visible"


@pytest.mark.both_databases
def test_mistakes_are_one_line_errors(stored: Engine) -> None:
    assert one_line_error(mumu("show", "999")) == "error: no recording with id 999"
    for beyond in ("9223372036854775808", "99999999999999999999"):
        assert one_line_error(mumu("show", beyond)) == f"error: no recording with id {beyond}"
    assert one_line_error(mumu("export", "7")) == "error: no recording with id 7"
    assert "unknown format 'docx'" in one_line_error(mumu("export", "1", "--format", "docx"))
    assert "unknown status 'done'" in one_line_error(mumu("list", "--status", "done"))
    assert "--since 'yesterday'" in one_line_error(mumu("list", "--since", "yesterday"))


def test_an_empty_library_lists_shows_and_searches_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "never" / "mumu.db"
    monkeypatch.setenv("MUMU_DATABASE_URL", f"sqlite:///{missing}")
    get_settings.cache_clear()
    assert "no recordings match" in mumu("list").stdout
    assert mumu("list", "--json").stdout.strip() == "[]"
    assert one_line_error(mumu("show", "1")) == "error: no recording with id 1"
    assert mumu("search", "--json", "refund").stdout.strip() == "[]"
    assert not missing.parent.exists(), "a read never makes a database"


def test_reads_never_migrate_and_say_when_the_schema_is_behind(
    settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hybrid search too, which stores the vectors it misses but never the schema."""
    config = alembic_config(database_url)
    with get_engine(database_url).begin() as connection:
        config.attributes["connection"] = connection
        alembic_command.upgrade(config, "0004")
    behind = f"has schema revision 0004, this mumu needs {HEAD}: run `mumu db upgrade`"
    for read in (["list"], ["show", "1"], ["search", "wizard"]):
        assert one_line_error(mumu(*read)).endswith(behind)
    monkeypatch.setenv("MUMU_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("MUMU_EMBEDDINGS_MODEL", "e")
    get_settings.cache_clear()
    assert one_line_error(mumu("search", "wizard")).endswith(behind)
    with get_engine(database_url).connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "0004"
    assert mumu("db", "upgrade").exit_code == 0
    assert mumu("list", "--json").stdout.strip() == "[]"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://mumu:pw-s3cret@db:port-s3cret/mumu",
        "mysql-but-not://mumu:pw-s3cret@db/mumu",
        "pw-s3cret",
        "postgresql+psycopg://mumu:pw-s3cret@127.0.0.1:1/mumu",
    ],
)
def test_a_bad_or_unreachable_database_is_one_line_without_its_secrets(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("MUMU_DATABASE_URL", url)
    get_settings.cache_clear()
    for command in (["db", "upgrade"], ["list"], ["show", "1"], ["search", "x"]):
        said = one_line_error(mumu(*command))
        assert said.startswith(("error: database URL ", "error: database postgresql+psycopg"))
        assert "s3cret" not in said


def test_a_link_is_signed_for_the_page_asked_and_refused_without_a_key(
    stored: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = one_line_error(mumu("link", "1"))
    assert "MUMU_PUBLIC_URL" in said and "MUMU_LINK_KEY" in said
    monkeypatch.setenv("MUMU_PUBLIC_URL", "https://mumu.example")
    monkeypatch.setenv("MUMU_LINK_KEY", "cli-link-key-0123456")
    get_settings.cache_clear()
    made = mumu("link", "1", "--format", "srt", "--ttl", "60")
    url = made.stdout.strip()
    assert url.startswith("https://mumu.example/recordings/1/transcript.srt?expires=")
    path, _, query = url.removeprefix("https://mumu.example").partition("?")
    expires, given = (part.split("=")[1] for part in query.split("&"))
    assert judge(get_settings().access, path, None, expires, given) is Verdict.ALLOWED
    assert int(expires) - time.time() <= 60
    assert one_line_error(mumu("link", "9")) == "error: no recording with id 9"
    assert "--ttl" in one_line_error(mumu("link", "1", "--ttl", "0"))
