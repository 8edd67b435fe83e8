"""``mumu bench --mode startup``: one short recording, the whole process, against raw.

Issue 28: ``mumu run FILE`` on an 11 s recording should take at most twice as long as a
raw faster-whisper script (interpreter, imports, model load, transcription, exit). Both
are whole processes (``bench_process``), run in turns after one untimed round that warms
the disk cache, and reported as medians. Where mumu's time goes is measured cheaply:
``mumu --help`` is the floor of interpreter and imports, the stages' own seconds come
from the library the run leaves, and the rest is the databases' migrations and the flow
runs around the stages on the local Prefect API (started by the untimed round, as a
laptop that ran mumu in the last minutes has it).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mumu.devtools.bench import word_error_rate
from mumu.devtools.bench_process import (
    Timed,
    fresh_home,
    median,
    mumu_help,
    raw_spec,
    run_mumu,
    run_raw,
    stored,
)

RECORDING = "jfk.flac"


@dataclass
class StartupSummary:
    date: str
    cpu_count: int
    audio_s: float
    raw_walls: list[float]
    mumu_walls: list[float]
    help_walls: list[float]
    stage_s: list[float]
    raw_peak_mb: float
    mumu_peak_mb: float
    wer_raw: float
    wer_mumu: float

    @property
    def ratio(self) -> float:
        """mumu's wall time over raw's (goal ≤ 2)."""
        raw = median(self.raw_walls)
        return median(self.mumu_walls) / raw if raw else 0.0

    @property
    def rest_s(self) -> float:
        """mumu's time that is neither imports nor stages: Prefect, migrations, flows."""
        return median(self.mumu_walls) - median(self.help_walls) - median(self.stage_s)


def run_startup(data_dir: Path, repeat: int, out: Path, settings: Any) -> StartupSummary:
    """``repeat`` rounds of raw faster-whisper, ``mumu run FILE`` and ``mumu --help``,
    in turns, after a round that is not counted."""
    recording = data_dir / RECORDING
    reference = json.loads((data_dir / "references.json").read_text())[RECORDING]
    out.mkdir(parents=True, exist_ok=True)
    spec = raw_spec(settings)
    raw_runs: list[Timed] = []
    mumu_runs: list[Timed] = []
    help_runs: list[Timed] = []
    stage_s: list[float] = []
    raw_text = mumu_text = ""
    for round_ in range(repeat + 1):
        order = ("raw", "mumu", "help") if round_ % 2 else ("help", "mumu", "raw")
        for contender in order:
            if contender == "raw":
                result, texts = run_raw(spec, [str(recording)], out)
                raw_text = " ".join(texts.values())
                raw_runs.append(result)
            elif contender == "help":
                with fresh_home() as home:
                    help_runs.append(mumu_help(home))
            else:
                with fresh_home() as home:
                    mumu_runs.append(run_mumu([str(recording)], home))
                    found = stored(home)
                stage_s.append(found.stage_s)
                mumu_text = " ".join(found.texts.values())
    counted = slice(1, None)  # round 0 warmed the disk cache
    return StartupSummary(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        cpu_count=os.cpu_count() or 0,
        audio_s=float(reference.get("duration_s", 0.0)),
        raw_walls=[r.wall_s for r in raw_runs[counted]],
        mumu_walls=[r.wall_s for r in mumu_runs[counted]],
        help_walls=[r.wall_s for r in help_runs[counted]],
        stage_s=stage_s[counted],
        raw_peak_mb=max((r.peak_rss_mb for r in raw_runs[counted]), default=0.0),
        mumu_peak_mb=max((r.peak_rss_mb for r in mumu_runs[counted]), default=0.0),
        wer_raw=word_error_rate(reference["text"], raw_text),
        wer_mumu=word_error_rate(reference["text"], mumu_text),
    )


def summary_line(summary: StartupSummary) -> str:
    """The ratio against issue 28's goal, and where mumu's time goes, in one line."""
    return (
        f"start-up mumu/raw: {summary.ratio:.2f} (goal ≤ 2)   "
        f"raw {median(summary.raw_walls):.1f} s, mumu {median(summary.mumu_walls):.1f} s = "
        f"imports (mumu --help) {median(summary.help_walls):.1f} s + "
        f"stages {median(summary.stage_s):.1f} s + "
        f"Prefect, migrations and flows {summary.rest_s:.1f} s"
    )


HEADER = [
    "date", "command", "CPUs", "raw s", "mumu s", "mumu / raw", "mumu --help s",
    "mumu stages s", "mumu rest s", "WER raw / mumu", "peak MB raw / mumu",
]  # fmt: skip
HEADING = "Start-up on one short recording (`--mode startup`)"
INTRO = (
    "Whole processes, start to exit, medians of the rounds after an uncounted one: raw "
    "faster-whisper (python, imports, model load, jfk.flac, exit) against `mumu run "
    "jfk.flac` (fresh `MUMU_HOME`, no database URL, no LLM); mumu / raw is mumu's wall "
    "time over raw's (goal ≤ 2). mumu's time is split into `mumu --help` (interpreter and "
    "imports), its stages (from its library) and the rest (the local Prefect API, "
    "migrations, flow runs)."
)


def row(summary: StartupSummary, command: str) -> list[str]:
    return [
        summary.date,
        f"`{command}`",
        str(summary.cpu_count),
        f"{median(summary.raw_walls):.2f}",
        f"{median(summary.mumu_walls):.2f}",
        f"{summary.ratio:.2f}",
        f"{median(summary.help_walls):.2f}",
        f"{median(summary.stage_s):.2f}",
        f"{summary.rest_s:.2f}",
        f"{summary.wer_raw:.3f} / {summary.wer_mumu:.3f}",
        f"{summary.raw_peak_mb:.0f} / {summary.mumu_peak_mb:.0f}",
    ]
