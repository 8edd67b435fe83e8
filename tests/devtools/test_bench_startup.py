"""`mumu bench --mode startup`: the ratio and the breakdown it prints; one e2e run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mumu.devtools.bench_startup import HEADER, StartupSummary, row, summary_line
from tests.conftest import DATA_DIR


def _summary() -> StartupSummary:
    return StartupSummary(
        date="2026-12-07 12:00 UTC",
        cpu_count=2,
        audio_s=11.0,
        raw_walls=[2.0, 2.2, 1.8],
        mumu_walls=[14.0, 15.0, 13.0],
        help_walls=[0.6, 0.5, 0.7],
        stage_s=[1.2, 1.1, 1.3],
        raw_peak_mb=280.0,
        mumu_peak_mb=450.0,
        wer_raw=0.045,
        wer_mumu=0.045,
    )


def test_ratio_is_mumus_median_over_raws_and_the_rest_is_what_is_not_imports_or_stages() -> None:
    summary = _summary()
    assert summary.ratio == pytest.approx(7.0)
    assert summary.rest_s == pytest.approx(14.0 - 0.6 - 1.2)
    assert summary_line(summary) == (
        "start-up mumu/raw: 7.00 (goal ≤ 2)   raw 2.0 s, mumu 14.0 s = imports (mumu --help) "
        "0.6 s + stages 1.2 s + Prefect, migrations and flows 12.2 s"
    )
    cells = row(summary, "mumu bench --mode startup --repeat 3")
    assert len(cells) == len(HEADER)
    assert cells[3:6] == ["2.00", "14.00", "7.00"]
    assert cells[-2:] == ["0.045 / 0.045", "280 / 450"]


@pytest.mark.e2e
def test_startup_mode_times_both_and_records_a_row(tmp_path: Path) -> None:
    results = tmp_path / "bench-results.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUMU_", "PREFECT_"))}
    completed = subprocess.run(
        [sys.executable, "-m", "mumu", "bench", "--mode", "startup", "--repeat", "1",
         "--data", str(DATA_DIR), "--out", str(tmp_path / "out"), "--results", str(results)],
        env=env | {"COLUMNS": "250"}, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "start-up mumu/raw:" in completed.stdout
    lines = results.read_text().splitlines()
    assert lines[0] == "# `mumu bench` results"
    assert "## Start-up on one short recording (`--mode startup`)" in lines
    assert lines[-1].startswith("| 20") and "--mode startup --repeat 1`" in lines[-1]
    wer_raw, wer_mumu = (float(w) for w in lines[-1].split(" | ")[9].split(" / "))
    assert wer_raw < 0.2 and wer_mumu < 0.2, "each round's own copy was transcribed by both"
