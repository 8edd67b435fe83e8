"""The ``mumu`` command as a user runs it, ``run`` first: a real process, its output and exit
code (the read commands in-process: tests/cli/test_library.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import DATA_DIR, run_mumu
from tests.fake_llm import HOSTILE_TEXT, FakeLLM
from tests.transcription.test_audio import silent_flac

pytestmark = pytest.mark.e2e


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert "Warning" not in output and "warning" not in output
    assert "CancelledError" not in output


def test_run_list_show_export(cli_env: dict[str, str], tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(DATA_DIR / "jfk.flac", inbox / "jfk.flac")
    (inbox / "broken.mp3").write_bytes(b"\x00garbage" * 100)

    first = run_mumu("run", str(inbox), env=cli_env)
    assert first.returncode == 1, first.stderr
    assert_clean(first)
    assert "completed" in first.stdout
    assert "not an audio file" in first.stdout

    again = run_mumu("run", str(inbox / "jfk.flac"), env=cli_env)
    assert again.returncode == 0, again.stderr
    assert_clean(again)
    assert "already stored" in again.stdout

    listed = json.loads(run_mumu("list", "--json", env=cli_env).stdout)
    assert {row["status"] for row in listed} == {"completed", "failed"}
    assert set(listed[0]) == {"id", "source", "sha256", "status", "duration_s", "language", "error"}
    jfk_id = next(row["id"] for row in listed if row["status"] == "completed")

    shown = json.loads(run_mumu("show", str(jfk_id), "--json", env=cli_env).stdout)
    assert {
        "id",
        "source",
        "sha256",
        "status",
        "error",
        "duration_s",
        "language",
        "transcript",
        "insights",
        "stages",
    } <= set(shown)
    assert shown["insights"] is None
    assert {"start", "end", "text"} <= set(shown["transcript"]["segments"][0])
    assert [s["name"] for s in shown["stages"]] == ["ingest", "audio", "transcribe", "insights"]
    assert {"name", "status", "attempts", "duration_s", "error"} == set(shown["stages"][0])

    srt = run_mumu("export", str(jfk_id), "--format", "srt", env=cli_env).stdout
    assert re.match(r"1\n00:00:00,000 --> 00:00:\d\d,\d{3}\n\S", srt)
    vtt_file = tmp_path / "jfk.vtt"
    run_mumu("export", str(jfk_id), "--format", "vtt", "--output", str(vtt_file), env=cli_env)
    assert vtt_file.read_text().startswith("WEBVTT\n\n00:00:00.000 --> ")


def test_text_from_files_and_the_llm_is_shown_never_obeyed(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """Markup in a file name or an LLM title, terminal escapes in a title: all printed."""
    inbox = tmp_path / "inbox [dim]"
    inbox.mkdir()
    name = "[red]standup [link=x]y.flac"
    shutil.copy(DATA_DIR / "jfk.flac", inbox / name)
    with FakeLLM(HOSTILE_TEXT) as llm:
        cli_env |= {"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "sk-test-markup"}
        results = [
            run_mumu("run", str(inbox), env=cli_env),
            run_mumu("list", env=cli_env),
            run_mumu("show", "1", env=cli_env),
            run_mumu("search", "country", env=cli_env),
            run_mumu("ask", "what about the country?", env=cli_env),
        ]
    for result in results:
        assert result.returncode == 0, result.stdout + result.stderr
        assert_clean(result)
        assert "\x1b" not in result.stdout, "no terminal escape reaches the terminal"
    run, _, show, _, ask = (result.stdout for result in results)
    assert "[/]Weekly [link=" in run + show, "markup printed as text"
    assert "[bold]not bold[/bold] [/]" in show
    assert "[red]standup [link=x]y.flac" in run and "[/]Weekly" in ask
    assert "[link=http://evil.example]sync[/link] \\x1b[31mred\\x1b]8;;" in ask


def test_every_name_the_file_system_allows_works(cli_env: dict[str, str], tmp_path: Path) -> None:
    """A name that is not UTF-8 (bytes are what POSIX names are) is processed like any."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(DATA_DIR / "jfk.flac", os.fsdecode(bytes(inbox) + b"/\xff\xfe standup.flac"))
    shutil.copy(DATA_DIR / "hotwords.mp3", inbox / "good.mp3")
    result = run_mumu("run", str(inbox), env=cli_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_clean(result)
    assert "%FF%FE%20standup.flac" in result.stdout
    listed = json.loads(run_mumu("list", "--json", env=cli_env).stdout)
    assert sorted(row["status"] for row in listed) == ["completed", "completed"]
    assert any(row["source"].startswith("file://") for row in listed)


def test_unreadable_folders_fail_alone_with_one_line(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "locked").mkdir(parents=True)
    shutil.copy(DATA_DIR / "jfk.flac", inbox / "good.flac")
    shutil.copy(DATA_DIR / "hotwords.mp3", inbox / "locked" / "hidden.mp3")
    (inbox / "locked").chmod(0)
    try:
        folder = run_unprivileged(["run", str(inbox)], cli_env)
        through = run_unprivileged(["run", str(inbox / "locked" / "hidden.mp3")], cli_env)
    finally:
        (inbox / "locked").chmod(0o755)
    for result in (folder, through):
        assert result.returncode == 1
        assert_clean(result)
    assert "permission denied: the folder cannot be read" in folder.stdout
    assert "completed" in folder.stdout
    assert "permission denied: a folder on its path cannot be read" in through.stdout


def run_unprivileged(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``mumu`` without root's power to read what it may not (when the tests run as root)."""
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    return subprocess.run(
        [*drop, sys.executable, "-m", "mumu", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


PEAK = """
import resource, sys
from mumu.cli import app
try:
    app(sys.argv[1:])
finally:
    print(f"peak-rss-kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
"""


def test_memory_does_not_grow_with_the_length_of_a_recording(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """Decoded samples go to disk and are transcribed a window at a time."""
    peaks = []
    for minutes in (10, 60):
        recording = silent_flac(tmp_path / f"silence-{minutes}.flac", seconds=minutes * 60)
        result = subprocess.run(
            [sys.executable, "-c", PEAK, "run", str(recording)],
            env=cli_env | {"MUMU_HOME": str(tmp_path / f"home-{minutes}")},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        peaks.append(int(re.findall(r"peak-rss-kb=(\d+)", result.stderr)[-1]) / 1024)
    assert peaks[1] - peaks[0] < 100, f"peak MB: {peaks}"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://mumu:pw-s3cret@db:port-s3cret/mumu",
        "mysql-but-not://mumu:pw-s3cret@db/mumu",
        "pw-s3cret",
    ],
)
def test_a_malformed_database_url_is_one_line_without_its_secrets(
    cli_env: dict[str, str], url: str
) -> None:
    """``run`` in a real process; the read commands are tests/cli/test_library.py's."""
    cli_env["MUMU_DATABASE_URL"] = url
    for command in (["db", "upgrade"], ["run", str(DATA_DIR / "jfk.flac")]):
        result = run_mumu(*command, env=cli_env)
        assert result.returncode == 2
        assert result.stderr.startswith("error: database URL ")
        assert len(result.stderr.strip().splitlines()) == 1
        assert "s3cret" not in result.stdout + result.stderr
        assert_clean(result)


def test_an_unreachable_database_is_a_clear_error(cli_env: dict[str, str]) -> None:
    cli_env["MUMU_DATABASE_URL"] = "postgresql+psycopg://mumu:pw-s3cret@127.0.0.1:1/mumu"
    for command in (["db", "upgrade"], ["run", str(DATA_DIR / "jfk.flac")]):
        result = run_mumu(*command, env=cli_env)
        assert result.returncode == 2
        assert result.stderr.startswith("error: database postgresql+psycopg://mumu:***@127.0.0.1:1")
        assert len(result.stderr.strip().splitlines()) == 1
        assert "pw-s3cret" not in result.stdout + result.stderr
        assert_clean(result)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_read_refused_after_connecting_is_one_line(
    cli_env: dict[str, str], database_url: str
) -> None:
    """The read commands' own connection fails as the engine's did: one line, exit 2."""
    locked = cli_env | {"PGOPTIONS": "-c lock_timeout=300"}
    hybrid = {"MUMU_LLM_BASE_URL": "http://127.0.0.1:9/v1", "MUMU_EMBEDDINGS_MODEL": "e"}
    for read, environment in [(["show", "1"], locked), (["search", "wizard"], locked | hybrid)]:
        with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql")) as holder:
            holder.execute("LOCK TABLE recordings, segments IN ACCESS EXCLUSIVE MODE")
            result = run_mumu(*read, env=environment)
        assert result.returncode == 2
        assert result.stderr.startswith("error: database postgresql+psycopg://")
        assert "lock timeout" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert_clean(result)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_each_language_of_a_recording_is_stored_shown_exported_and_found(
    cli_env: dict[str, str],
) -> None:
    env = cli_env | {"MUMU_WHISPER_MODEL": "base"}
    ran = run_mumu("run", str(DATA_DIR / "multilingual.mp3"), env=env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    [row] = json.loads(run_mumu("list", "--json", env=env).stdout)
    assert row["language"] in {"en", "de"}
    shown = run_mumu("show", str(row["id"]), env=env).stdout
    assert "languages: " in shown and "[de]" in shown and "[en]" in shown
    detail = json.loads(run_mumu("export", str(row["id"]), "--format", "json", env=env).stdout)
    assert set(detail["transcript"]["languages"]) == {"en", "de"}
    spoken = {s["language"] for s in detail["transcript"]["segments"] if not s["flag"]}
    assert spoken == {"en", "de"}
    vtt = run_mumu("export", str(row["id"]), "--format", "vtt", env=env).stdout
    assert "<lang de>" in vtt and "<lang en>Permission" in vtt
    hits = json.loads(run_mumu("search", "Genehmigung", "--json", env=env).stdout)
    assert hits and hits[0]["language"] == "de"


def test_a_vocabulary_given_to_run_re_transcribes_and_spells_names_right(
    cli_env: dict[str, str],
) -> None:
    hotwords = str(DATA_DIR / "hotwords.mp3")
    assert run_mumu("run", hotwords, env=cli_env).returncode == 0
    [row] = json.loads(run_mumu("list", "--json", env=cli_env).stdout)
    before = json.loads(run_mumu("show", str(row["id"]), "--json", env=cli_env).stdout)
    assert "ComfyUI" not in before["transcript"]["text"]
    hinted = run_mumu("run", "--vocabulary", "ComfyUI", hotwords, env=cli_env)
    assert hinted.returncode == 0 and "already stored" not in hinted.stdout
    after = json.loads(run_mumu("show", str(row["id"]), "--json", env=cli_env).stdout)
    assert after["transcript"]["text"].count("ComfyUI") == 2
    again = run_mumu("run", "--vocabulary", "ComfyUI", hotwords, env=cli_env)
    assert "already stored" in again.stdout


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_speaker_per_channel_is_stored_named_shown_exported_found_and_summarised(
    cli_env: dict[str, str],
) -> None:
    stereo, mono = str(DATA_DIR / "stereo_diarization.wav"), str(DATA_DIR / "jfk.flac")
    with FakeLLM() as llm:
        env = cli_env | {"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "sk-test-speakers"}
        assert run_mumu("run", stereo, mono, env=env).returncode == 0
        listed = json.loads(run_mumu("list", "--json", env=env).stdout)
        rows = {Path(row["source"]).name: row["id"] for row in listed}
        recording = str(rows["stereo_diarization.wav"])
        shown = run_mumu("show", recording, env=env).stdout
        assert "speakers: channel 1, channel 2" in shown
        assert "channel 1: He began" in shown and "channel 2: The horizon" in shown

        named = run_mumu("speakers", recording, "1=Agent", "2=Customer", env=env)
        assert named.returncode == 0 and "1  Agent" in named.stdout, named.stderr
        for wrong, said in [
            ((recording, "3=Boss"), "has no speaker 3; its speakers are 1, 2"),
            ((recording, "Boss"), "is not NUMBER=NAME"),
            ((str(rows["jfk.flac"]), "1=Boss"), "has no speakers told apart"),
        ]:
            refused = run_mumu("speakers", *wrong, env=env)
            assert refused.returncode == 2 and said in refused.stderr
            assert_clean(refused)

        again = run_mumu("run", stereo, env=env)
        assert again.returncode == 0 and "already stored" not in again.stdout
    prompt = llm.requests[-1]["messages"][-1]["content"]
    assert "Agent: He began" in prompt and "Customer: The horizon" in prompt
    assert "Customer: The horizon" in run_mumu("show", recording, env=env).stdout
    srt = run_mumu("export", recording, "--format", "srt", env=env).stdout
    assert "Agent: He began" in srt
    vtt = run_mumu("export", recording, "--format", "vtt", env=env).stdout
    assert "<v Customer>The horizon" in vtt
    detail = json.loads(run_mumu("export", recording, "--format", "json", env=env).stdout)
    assert [s["name"] for s in detail["transcript"]["speakers"]] == ["Agent", "Customer"]
    assert {s["channel"] for s in detail["transcript"]["segments"]} == {1, 2}
    [hit] = json.loads(run_mumu("search", "horizon", "--json", env=env).stdout)
    assert hit["speaker"] == "Customer"
