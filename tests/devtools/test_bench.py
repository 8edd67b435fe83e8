"""Smoke test of `mumu bench` on a tiny corpus: it runs, it reports, it records. No timings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DATA_DIR, run_mumu

pytestmark = pytest.mark.e2e


def test_bench_runs_every_contender_and_records_the_results(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    results_file = tmp_path / "bench-results.md"
    result = run_mumu(
        "bench",
        "--minutes",
        "0.3",
        "--files",
        "3",
        "--data",
        str(DATA_DIR),
        "--out",
        str(tmp_path / "out"),
        "--results",
        str(results_file),
        env=cli_env,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mumu / raw batched" in result.stdout
    summary = json.loads((tmp_path / "out" / "results.json").read_text())
    assert set(summary["phases"]) == {"raw-sequential", "raw-batched", "mumu-long", "mumu-short"}
    for phase in summary["phases"].values():
        assert phase["audio_s"] > 15
        assert phase["wall_s"] > 0
        assert 0 <= phase["wer"] < 0.6
        assert phase["model_loads"] == 1
        assert phase["peak_rss_mb"] > 50
    assert summary["phases"]["mumu-short"]["files"] == 3
    assert summary["mumu_vs_raw_batched"] > 0
    rows = results_file.read_text().splitlines()
    assert rows[0].startswith("# `mumu bench` results")
    assert rows[-1].startswith("| 20") and "mumu bench --minutes 0.3 --files 3" in rows[-1]
