"""``mumu bench --mode batch``: many short recordings, and many files that are not audio.

Issue 28: a folder of short recordings through ``mumu run DIR`` should go at least 0.85
times as fast as one raw faster-whisper process looping over the same files, and a folder
of junk should be refused at 50 files a second or more, in flat memory. Both contenders
are whole processes (``bench_process``), run in turns (raw first, then mumu first) and
reported as medians, because the machine is shared and noisy.

The clips are cut from ../shared/data where the speech pauses, so each has its own part
of the human reference (``CUTS``): JFK's sentence in three phrases, and ``hotwords.mp3``
whole. They repeat, so each copy starts with a different number of silent samples: every
file has its own content hash, and nothing is deduplicated.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from mumu.devtools.bench import word_error_rate
from mumu.devtools.bench_process import fresh_home, median, raw_spec, run_mumu, run_raw, stored

CLIP_MIN_S, CLIP_MAX_S = 3.0, 5.0
# file, start and end in seconds (None: to the end), the reference's words [first, last):
# the cuts fall in the pauses of jfk.flac (2.2-3.27 s, 7.6-8.19 s, measured 2026-12-07),
# with half a second of the pause before "ask": tiny.en drops it when speech starts at once.
CUTS: tuple[tuple[str, float, float | None, int, int | None], ...] = (
    ("jfk.flac", 0.0, 2.75, 0, 5),
    ("jfk.flac", 2.75, 7.7, 5, 14),
    ("jfk.flac", 7.95, None, 14, None),
    ("hotwords.mp3", 0.0, None, 0, None),
)
REFERENCE_KEYS = {"jfk.flac": "text", "hotwords.mp3": "text_approx"}
JUNK_SUFFIXES = (".wav", ".mp3", ".m4a", ".flac", ".ogg")


@dataclass(frozen=True)
class Clip:
    path: Path
    reference: str
    seconds: float


@dataclass
class BatchSummary:
    """Medians of the rounds; texts of the last round."""

    date: str
    cpu_count: int
    clips: int
    audio_s: float
    raw_walls: list[float]
    mumu_walls: list[float]
    raw_peak_mb: float
    mumu_peak_mb: float
    wer_raw: float
    wer_mumu: float
    agreement: float
    refusals: int
    refused: int
    refusal_walls: list[float]
    refusal_peak_mb: float

    @property
    def throughput(self) -> float:
        """mumu's files per second over raw's: raw's wall time over mumu's."""
        mumu = median(self.mumu_walls)
        return median(self.raw_walls) / mumu if mumu else 0.0

    @property
    def refused_per_s(self) -> float:
        wall = median(self.refusal_walls)
        return self.refused / wall if wall else 0.0


def build_clips(data_dir: Path, count: int, out: Path) -> list[Clip]:
    """``count`` WAV files of 3-5 s of speech under ``out`` (emptied first), each with
    its reference text; short pieces are padded with silence to 3 s."""
    from mumu.transcription.audio import SAMPLE_RATE, decode, write_wav

    references = json.loads((data_dir / "references.json").read_text())
    pieces: list[tuple[np.ndarray, str]] = []
    for name, start, end, first, last in CUTS:
        samples = decode(data_dir / name, 3600).samples
        cut = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE) if end else None]
        words = references[name][REFERENCE_KEYS[name]].split()[first:last]
        pieces.append((cut, " ".join(words)))
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    clips = []
    for index in range(count):
        samples, reference = pieces[index % len(pieces)]
        lead = np.zeros(index // len(pieces), dtype=np.float32)  # samples: own hash
        tail = np.zeros(max(0, int(CLIP_MIN_S * SAMPLE_RATE) - len(lead) - len(samples)))
        audio = np.concatenate([lead, samples, tail.astype(np.float32)])
        path = write_wav(out / f"clip{index:04d}.wav", audio)
        clips.append(Clip(path, reference, len(audio) / SAMPLE_RATE))
    return clips


def junk_content(index: int) -> bytes:
    """A small file that is not audio, of one of several kinds; each one's own bytes
    (bar the one empty file), so no refusal is spared as a duplicate."""
    kind = index % 5
    if index == 0:
        return b""
    if kind == 0:
        return f"meeting notes, draft {index}\n".encode() * (1 + index % 40)
    if kind == 1:  # random bytes, led by a zero so they cannot pass for an MPEG frame
        noise = random.Random(index).randbytes(200 + index % 3000)  # noqa: S311 - junk, not secrets
        return b"\x00" + noise
    if kind == 2:  # a WAV header cut off before its WAVE tag
        return b"RIFF" + struct.pack("<I", index) + b"WAV"
    if kind == 3:
        return json.dumps({"recording": index, "note": "exported by mistake"}).encode()
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", index) + bytes(100)


def build_junk(count: int, out: Path) -> list[Path]:
    """``count`` files that are not audio under ``out`` (emptied first), named as audio
    so that ``mumu run DIR`` takes them up."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    paths = []
    for index in range(count):
        path = out / f"junk{index:05d}{JUNK_SUFFIXES[index % len(JUNK_SUFFIXES)]}"
        path.write_bytes(junk_content(index))
        paths.append(path)
    return paths


def run_batch(
    data_dir: Path, files: int, refusals: int, repeat: int, out: Path, settings: Any
) -> BatchSummary:
    """Clips through raw faster-whisper and ``mumu run``, in turns; then the junk
    through ``mumu run``, ``repeat`` times each."""
    clips = build_clips(data_dir, files, out / "clips") if files else []
    junk_dir = out / "junk"
    if refusals:
        build_junk(refusals, junk_dir)
    spec = raw_spec(settings)
    raw_runs, mumu_runs, refusal_runs = [], [], []
    raw_texts: dict[str, str] = {}
    mumu_texts: dict[str, str] = {}
    refused = 0
    for round_ in range(repeat if clips else 0):
        for contender in ("raw", "mumu") if round_ % 2 == 0 else ("mumu", "raw"):
            if contender == "raw":
                result, texts = run_raw(spec, [str(c.path) for c in clips], out)
                raw_runs.append(result)
                raw_texts = {Path(k).name: v for k, v in texts.items()}
            else:
                with fresh_home() as home:
                    mumu_runs.append(run_mumu([str(out / "clips")], home))
                    mumu_texts = {Path(k).name: v for k, v in stored(home).texts.items()}
    for _ in range(repeat if refusals else 0):
        with fresh_home() as home:
            refusal_runs.append(run_mumu([str(junk_dir)], home, failures_expected=True))
            statuses = stored(home).statuses.values()
            refused = refusals - sum(status == "completed" for status in statuses)
    references = " ".join(c.reference for c in clips)
    raw_text = " ".join(raw_texts.get(c.path.name, "") for c in clips)
    mumu_text = " ".join(mumu_texts.get(c.path.name, "") for c in clips)
    return BatchSummary(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        cpu_count=os.cpu_count() or 0,
        clips=len(clips),
        audio_s=sum(c.seconds for c in clips),
        raw_walls=[r.wall_s for r in raw_runs],
        mumu_walls=[r.wall_s for r in mumu_runs],
        raw_peak_mb=max((r.peak_rss_mb for r in raw_runs), default=0.0),
        mumu_peak_mb=max((r.peak_rss_mb for r in mumu_runs), default=0.0),
        wer_raw=word_error_rate(references, raw_text) if clips else 0.0,
        wer_mumu=word_error_rate(references, mumu_text) if clips else 0.0,
        agreement=word_error_rate(raw_text, mumu_text) if clips else 0.0,
        refusals=refusals,
        refused=refused,
        refusal_walls=[r.wall_s for r in refusal_runs],
        refusal_peak_mb=max((r.peak_rss_mb for r in refusal_runs), default=0.0),
    )


def summary_line(summary: BatchSummary) -> str:
    """The ratios against issue 28's goals, in one line."""
    parts = []
    if summary.clips:
        parts.append(
            f"throughput mumu/raw: {summary.throughput:.2f} (goal ≥ 0.85)   "
            f"WER raw / mumu: {summary.wer_raw:.3f} / {summary.wer_mumu:.3f}"
        )
    if summary.refusals:
        parts.append(
            f"refusals: {summary.refused_per_s:.1f}/s (goal ≥ 50), "
            f"{summary.refused} of {summary.refusals} refused   "
            f"peak RSS {summary.refusal_peak_mb:.0f} MB"
        )
    return "   ".join(parts)


HEADER = [
    "date", "command", "CPUs", "clips", "audio s", "raw s", "mumu s", "mumu / raw",
    "WER raw / mumu / agreement", "peak MB raw / mumu", "junk files", "refused / s",
    "peak MB refusals",
]  # fmt: skip
HEADING = "Batches of short recordings and of junk (`--mode batch`)"
INTRO = (
    "Whole processes, start to exit, medians of the rounds: one raw faster-whisper process "
    "looping over the 3-5 s clips against `mumu run DIR` (fresh `MUMU_HOME`, no database "
    "URL, no LLM); mumu / raw is raw's wall time over mumu's (goal ≥ 0.85). Agreement is "
    "mumu's WER against raw's text. Refused / s is junk files over mumu's wall time (goal "
    "≥ 50); peak MB is the `mumu` process's own VmHWM."
)


def row(summary: BatchSummary, command: str) -> list[str]:
    clips = summary.clips
    return [
        summary.date,
        f"`{command}`",
        str(summary.cpu_count),
        str(clips),
        f"{summary.audio_s:.0f}",
        f"{median(summary.raw_walls):.1f}" if clips else "-",
        f"{median(summary.mumu_walls):.1f}" if clips else "-",
        f"{summary.throughput:.2f}" if clips else "-",
        f"{summary.wer_raw:.3f} / {summary.wer_mumu:.3f} / {summary.agreement:.3f}"
        if clips
        else "-",
        f"{summary.raw_peak_mb:.0f} / {summary.mumu_peak_mb:.0f}" if clips else "-",
        str(summary.refusals),
        f"{summary.refused_per_s:.1f}" if summary.refusals else "-",
        f"{summary.refusal_peak_mb:.0f}" if summary.refusals else "-",
    ]
