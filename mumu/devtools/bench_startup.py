"""``mumu bench --mode startup``: one short recording, the whole process, against raw.

Issue 28: ``mumu run FILE`` on an 11 s recording should take at most twice as long as a
raw faster-whisper script (interpreter, imports, model load, transcription, exit). Both
are whole processes (``bench_process``), run in turns after one untimed round that warms
the disk cache, and reported as medians. Where mumu's time goes is measured cheaply:
``mumu --help`` is the floor of interpreter and imports, the stages' own seconds come
from the library the run leaves, and the rest is the migrations check and the flow
runs around the stages on the local Prefect API. The uncounted round creates the
library and starts the API, as a laptop that ran mumu before has them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

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
    in turns, after a round that is not counted. Every round's mumu runs in the same
    ``MUMU_HOME``, as on a laptop that ran mumu before: its library exists, and so does
    its local Prefect API. So that each round has a recording to transcribe, each round
    gets its own copy of the recording (``round_copy``), which raw transcribes too."""
    recording = data_dir / RECORDING
    reference = json.loads((data_dir / "references.json").read_text())[RECORDING]
    out.mkdir(parents=True, exist_ok=True)
    spec = raw_spec(settings)
    raw_runs: list[Timed] = []
    mumu_runs: list[Timed] = []
    help_runs: list[Timed] = []
    stage_s: list[float] = []
    raw_text = mumu_text = ""
    with fresh_home() as home:
        for round_ in range(repeat + 1):
            copy = round_copy(recording, round_, out)
            order = ("raw", "mumu", "help") if round_ % 2 else ("help", "mumu", "raw")
            for contender in order:
                if contender == "raw":
                    result, texts = run_raw(spec, [str(copy)], out)
                    raw_text = " ".join(texts.values())
                    raw_runs.append(result)
                elif contender == "help":
                    help_runs.append(mumu_help(home))
                else:
                    before = stored(home).stage_s if (home / "mumu.db").is_file() else 0.0
                    mumu_runs.append(run_mumu([str(copy)], home))
                    found = stored(home)
                    stage_s.append(found.stage_s - before)
                    mumu_text = found.texts.get(str(copy), "")
    counted = slice(1, None)  # round 0 warmed the disk cache, the library and the API
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


def round_copy(recording: Path, round_: int, out: Path) -> Path:
    """The recording as 16 kHz WAV led by ``round_`` silent samples: the same speech
    with content of its own, which the library has not stored yet."""
    from mumu.transcription.audio import decode, write_wav

    samples = decode(recording, 3600).samples
    lead = np.zeros(round_, dtype=np.float32)
    return write_wav(out / f"{recording.stem}-{round_}.wav", np.concatenate([lead, samples]))


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
    "faster-whisper (python, imports, model load, one 11 s file, exit) against `mumu run` "
    "on the same file (jfk.flac as WAV, with its own silent lead each round; one "
    "`MUMU_HOME` for every round, so its library and local Prefect API exist, as on a "
    "laptop that ran mumu before; no database URL, no LLM); mumu / raw is mumu's wall "
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
