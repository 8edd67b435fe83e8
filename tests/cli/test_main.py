"""``mumu`` as a process: what goes wrong around a command is one line, never a
traceback; a terminal that cannot show a character gets a stand-in for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.conftest import DATA_DIR, run_mumu

pytestmark = pytest.mark.e2e
HIDDEN = "inv\u202eoice\u200b.wav"


def one_line(result: object) -> str:
    stderr = str(getattr(result, "stderr", ""))
    assert getattr(result, "returncode", None) == 2, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    return stderr.strip()


def test_an_output_that_cannot_be_written_is_one_line_naming_it(
    stored: Engine, cli_env: dict[str, str], tmp_path: Path
) -> None:
    said = {
        str(tmp_path): "Is a directory",
        str(tmp_path / "missing" / "x.txt"): "No such file or directory",
        "/dev/full": "No space left on device",
    }
    for output, reason in said.items():
        assert one_line(run_mumu("export", "1", "-o", output, env=cli_env)) == (
            f"error: cannot write {output}: {reason}"
        )
    with open("/dev/full", "w") as full:
        for command in (["export", "1"], ["list"], ["show", "1"]):
            result = subprocess.run(
                [sys.executable, "-m", "mumu", *command],
                env=cli_env,
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
                check=False,
            )
            assert (
                result.stderr.strip() == "error: cannot write the output: No space left on device"
            )
            assert result.returncode == 2


def test_a_setting_that_does_not_hold_is_one_line(cli_env: dict[str, str]) -> None:
    for variable, value in (("MUMU_WHISPER_BEAM_SIZE", "-1"), ("MUMU_INGEST_ROOTS", "notjson")):
        refused = run_mumu("list", env=cli_env | {variable: value})
        assert one_line(refused).startswith(f"error: {variable}")


def test_a_terminal_of_ascii_gets_stand_ins_and_hidden_characters_are_shown(
    stored: Engine, cli_env: dict[str, str]
) -> None:
    with stored.begin() as connection:
        connection.execute(text("UPDATE recordings SET source = :s"), {"s": f"/in/{HIDDEN}"})
        connection.execute(text("UPDATE insights SET title = :t"), {"t": "Café \u202eRefund"})
    ascii_env = cli_env | {"PYTHONIOENCODING": "ascii", "COLUMNS": "200"}
    for command in (["list"], ["show", "1"]):
        shown = run_mumu(*command, env=ascii_env)
        assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
        assert "\\u202e" in shown.stdout, "the override is shown, not obeyed"
    utf8 = run_mumu("list", env=cli_env | {"COLUMNS": "200"})
    assert "inv\\u202eoice\\u200b.wav" in utf8.stdout and "\u202e" not in utf8.stdout
    notes = run_mumu("export", "1", "--format", "notes", env=cli_env).stdout
    assert "\u202e" not in notes and "Caf" in notes


def test_a_temporary_api_that_does_not_start_in_time_is_one_line_saying_what_to_do(
    own_server_env: dict[str, str], tmp_path: Path
) -> None:
    """Several runs at once on a busy machine: each starts its own temporary API."""
    impatient = own_server_env | {
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "1",
        "PREFECT_HOME": str(tmp_path / "fresh-prefect-home"),
    }
    refused = run_mumu("run", str(DATA_DIR / "jfk.flac"), env=impatient)
    said = one_line(refused)
    assert "did not start within 1 s" in said and "PREFECT_API_URL" in said
