"""`mumu bench --mode batch`: the clips and junk it builds, and what it prints; one e2e
run at a tiny size (no timings are asserted: the machine is shared)."""

from __future__ import annotations

import hashlib
import os
import sys
import wave
from pathlib import Path

import pytest

from mumu.devtools.bench_batch import (
    CLIP_MAX_S,
    CLIP_MIN_S,
    HEADER,
    BatchSummary,
    build_clips,
    build_junk,
    junk_content,
    row,
    summary_line,
)
from mumu.intake.sources import expand
from mumu.transcription.sniff import SNIFF_BYTES, looks_like_audio
from tests.conftest import DATA_DIR, REFERENCES


def _seconds(path: Path) -> float:
    with wave.open(str(path)) as audio:
        return float(audio.getnframes() / audio.getframerate())


def test_clips_are_three_to_five_seconds_each_distinct_with_their_part_of_the_reference(
    tmp_path: Path,
) -> None:
    clips = build_clips(DATA_DIR, 12, tmp_path / "clips")
    assert len(clips) == 12
    for clip in clips:
        assert CLIP_MIN_S <= _seconds(clip.path) <= CLIP_MAX_S
        assert clip.seconds == pytest.approx(_seconds(clip.path))
        assert clip.reference
    digests = {hashlib.sha256(clip.path.read_bytes()).hexdigest() for clip in clips}
    assert len(digests) == 12
    assert " ".join(clip.reference for clip in clips[:3]) == REFERENCES["jfk.flac"]["text"]
    assert clips[3].reference == REFERENCES["hotwords.mp3"]["text_approx"]
    assert sorted(map(str, expand([str(tmp_path / "clips")]))) == [str(c.path) for c in clips]


def test_building_again_replaces_the_clips(tmp_path: Path) -> None:
    build_clips(DATA_DIR, 6, tmp_path / "clips")
    assert len(build_clips(DATA_DIR, 2, tmp_path / "clips")) == 2
    assert len(list((tmp_path / "clips").iterdir())) == 2


def test_junk_is_not_audio_yet_taken_up_as_recordings_and_each_file_its_own(
    tmp_path: Path,
) -> None:
    paths = build_junk(200, tmp_path / "junk")
    contents = [path.read_bytes() for path in paths]
    assert not any(looks_like_audio(content[:SNIFF_BYTES]) for content in contents)
    assert contents.count(b"") == 1
    assert len(set(contents)) == len(contents)
    assert len({path.suffix for path in paths}) >= 4
    assert len(expand([str(tmp_path / "junk")])) == 200


def test_no_junk_file_of_the_issues_ten_thousand_sniffs_as_audio() -> None:
    heads = [junk_content(index)[:SNIFF_BYTES] for index in range(10_000)]
    assert [head for head in heads if looks_like_audio(head)] == []


def _summary(**changes: object) -> BatchSummary:
    values: dict[str, object] = {
        "date": "2026-12-07 12:00 UTC",
        "cpu_count": 2,
        "clips": 120,
        "audio_s": 450.0,
        "raw_walls": [30.0, 40.0, 35.0],
        "mumu_walls": [50.0, 49.0, 60.0],
        "raw_peak_mb": 300.0,
        "mumu_peak_mb": 500.0,
        "wer_raw": 0.1,
        "wer_mumu": 0.12,
        "agreement": 0.05,
        "refusals": 1000,
        "refused": 1000,
        "refusal_walls": [4.0, 5.0, 6.0],
        "refusal_peak_mb": 310.0,
    }
    return BatchSummary(**(values | changes))  # type: ignore[arg-type]


def test_ratios_are_medians_raw_wall_over_mumu_wall_and_refusals_per_second() -> None:
    summary = _summary()
    assert summary.throughput == pytest.approx(35.0 / 50.0)
    assert summary.refused_per_s == pytest.approx(200.0)
    assert summary_line(summary) == (
        "throughput mumu/raw: 0.70 (goal ≥ 0.85)   WER raw / mumu: 0.100 / 0.120   "
        "refusals: 200.0/s (goal ≥ 50), 1000 of 1000 refused   peak RSS 310 MB"
    )
    cells = row(summary, "mumu bench --mode batch")
    assert len(cells) == len(HEADER)
    assert cells[1] == "`mumu bench --mode batch`"
    assert cells[5:8] == ["35.0", "50.0", "0.70"]
    assert cells[8] == "0.100 / 0.120 / 0.050"
    assert cells[-2:] == ["200.0", "310"]


def test_a_run_without_clips_or_without_junk_says_only_what_it_measured() -> None:
    no_clips = _summary(clips=0, raw_walls=[], mumu_walls=[])
    assert summary_line(no_clips).startswith("refusals: 200.0/s")
    assert row(no_clips, "c")[5:10] == ["-"] * 5
    no_junk = _summary(refusals=0, refused=0, refusal_walls=[])
    assert "refusals" not in summary_line(no_junk)
    assert row(no_junk, "c")[-2:] == ["-", "-"]
    assert _summary(mumu_walls=[]).throughput == 0.0


@pytest.mark.e2e
def test_batch_mode_runs_both_contenders_and_records_a_row(tmp_path: Path) -> None:
    import subprocess

    results = tmp_path / "bench-results.md"
    results.write_text((Path(__file__).parents[2] / "dev" / "bench-results.md").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUMU_", "PREFECT_"))}
    completed = subprocess.run(
        [sys.executable, "-m", "mumu", "bench", "--mode", "batch", "--files", "4",
         "--refusals", "20", "--repeat", "1", "--data", str(DATA_DIR),
         "--out", str(tmp_path / "out"), "--results", str(results)],
        env=env | {"COLUMNS": "250"}, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "throughput mumu/raw:" in completed.stdout
    assert "20 of 20 refused" in completed.stdout
    text = results.read_text()
    assert "## Batches of short recordings" in text
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert "--mode batch --files 4 --refusals 20 --repeat 1`" in rows[-1], "under its table"
