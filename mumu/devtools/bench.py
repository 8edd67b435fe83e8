"""Throughput benchmark: raw faster-whisper and mumu side by side, on the same audio.

One invocation builds a corpus from ../shared/data (one long file of N minutes, and the
clips as many short files), then runs each contender in its own process, so that peak
memory and model loads are each its own: raw faster-whisper sequential, raw
``BatchedInferencePipeline``, mumu's pipeline on the long file, and mumu on the short
files. The raw contenders are faster-whisper as its README runs it, with mumu's model,
beam size, VAD and word timestamps; mumu runs with its settings (``MUMU_WHISPER_*``).
Timings exclude model loading and Prefect's start-up, which a warm worker has already
paid: the raw runs load the model before the clock starts, and mumu processes a
one-second clip first. The modes ``batch`` and ``startup`` (issue 28) time whole processes
instead, start-up included: ``bench_batch`` and ``bench_startup``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

GAP_S = 1.0
BATCH_SIZE = 8
PHASES = ("raw-sequential", "raw-batched", "mumu-long", "mumu-short")


@dataclass
class PhaseResult:
    phase: str
    files: int
    audio_s: float
    wall_s: float
    work_s: float
    wer: float
    peak_rss_mb: float
    model_loads: int

    @property
    def speed(self) -> float:
        """Seconds of audio per wall-clock second."""
        return self.audio_s / self.wall_s if self.wall_s else 0.0


ENGLISH_PART_S = {"multilingual.mp3": 30.0}


def clips(data_dir: Path) -> list[tuple[str, str, float | None]]:
    """(file, English reference text, seconds to keep) for the clips of ../shared/data.

    The English model is measured on English: multilingual.mp3 is cut before its German
    half, and the stereo file is scored against its first channel's sentence, which is
    the one a mono mix lets through.
    """
    references = json.loads((data_dir / "references.json").read_text())
    texts = {
        "jfk.flac": references["jfk.flac"]["text"],
        "stereo_diarization.wav": references["stereo_diarization.wav"]["channel_texts"][0],
        "multilingual.mp3": references["multilingual.mp3"]["text_en"],
        "hotwords.mp3": references["hotwords.mp3"]["text_approx"],
    }
    return [
        (name, text, ENGLISH_PART_S.get(name))
        for name, text in texts.items()
        if (data_dir / name).exists()
    ]


def build_corpus(data_dir: Path, minutes: float, files: int, out: Path) -> dict[str, Any]:
    """The long file, the short files and their reference texts, written under ``out``."""
    from mumu.transcription.audio import SAMPLE_RATE, decode, write_wav

    decoded = [
        (decode(data_dir / name, 3600).samples[: int(keep * SAMPLE_RATE) if keep else None], text)
        for name, text, keep in clips(data_dir)
    ]
    gap = np.zeros(int(GAP_S * SAMPLE_RATE), dtype=np.float32)
    pieces: list[np.ndarray] = []
    texts: list[str] = []
    length = 0
    while length < minutes * 60 * SAMPLE_RATE:
        samples, text = decoded[len(texts) % len(decoded)]
        pieces += [samples, gap]
        texts.append(text)
        length += len(samples) + len(gap)
    out.mkdir(parents=True, exist_ok=True)
    long_path = write_wav(out / "long.wav", np.concatenate(pieces))
    short_dir = out / "short"
    short_dir.mkdir(exist_ok=True)
    short_texts = []
    for index in range(files):
        samples, text = decoded[index % len(decoded)]
        lead = np.zeros(int(0.01 * SAMPLE_RATE) * (index + 1), dtype=np.float32)
        write_wav(short_dir / f"clip{index:03d}.wav", np.concatenate([lead, samples, gap]))
        short_texts.append(text)
    corpus = {
        "long": str(long_path),
        "long_reference": " ".join(texts),
        "short_dir": str(short_dir),
        "short_reference": " ".join(short_texts),
    }
    (out / "corpus.json").write_text(json.dumps(corpus))
    return corpus


def run_phase(phase: str, corpus: dict[str, Any]) -> PhaseResult:
    """One contender, in this process; the CLI runs each in a fresh process."""
    from mumu.settings import Settings

    settings = Settings()
    if phase.startswith("raw-"):
        return _raw(phase, corpus, settings)
    return _mumu(phase, corpus)


def _raw(phase: str, corpus: dict[str, Any], settings: Any) -> PhaseResult:
    """faster-whisper alone, from the file path, as its documentation runs it: the same
    model, beam, VAD and word timestamps as mumu, the library's defaults for the rest."""
    from faster_whisper import BatchedInferencePipeline

    from mumu.transcription import whisper
    from mumu.transcription.audio import SAMPLE_RATE, decode

    transcription = settings.transcription
    model = whisper.get_model(transcription.engine)
    options = {**transcription.decode_kwargs(), "vad_filter": True}
    started = time.perf_counter()
    if phase == "raw-batched":
        batched = BatchedInferencePipeline(model=model)
        segments, _ = batched.transcribe(corpus["long"], batch_size=BATCH_SIZE, **options)
    else:
        segments, _ = model.transcribe(corpus["long"], **options)
    text = " ".join(segment.text.strip() for segment in segments)
    wall = time.perf_counter() - started
    audio_s = len(decode(Path(corpus["long"]), 6 * 3600).samples) / SAMPLE_RATE
    return PhaseResult(
        phase,
        1,
        audio_s,
        wall,
        wall,
        word_error_rate(corpus["long_reference"], text),
        _peak_rss_mb(),
        whisper.model_loads,
    )


def _mumu(phase: str, corpus: dict[str, Any]) -> PhaseResult:
    from sqlmodel import Session, select

    from mumu.db.engine import engine_for
    from mumu.db.models import Recording, Stage, StageRun, Transcript
    from mumu.flows.process_batch import process_batch
    from mumu.prefect_env import apply_cli_defaults, local_run_settings
    from mumu.settings import get_settings
    from mumu.transcription import whisper

    apply_cli_defaults()
    home = Path(tempfile.mkdtemp(prefix="mumu-bench-"))
    os.environ["MUMU_HOME"] = str(home)
    os.environ.pop("MUMU_DATABASE_URL", None)
    if phase == "mumu-short":
        os.environ["MUMU_BATCH_CONCURRENCY"] = "1"
    get_settings.cache_clear()
    settings = get_settings()
    warmup = home / "warmup.wav"
    from mumu.transcription.audio import write_wav

    write_wav(warmup, np.zeros(16_000, dtype=np.float32))
    sources = [corpus["long"]] if phase == "mumu-long" else [corpus["short_dir"]]
    reference = corpus["long_reference" if phase == "mumu-long" else "short_reference"]
    with local_run_settings():
        process_batch([str(warmup)])
        started = time.perf_counter()
        outcomes = process_batch(sources)
        wall = time.perf_counter() - started
    if not isinstance(outcomes, list):
        raise RuntimeError(f"mumu did not run: {outcomes.message}")
    failed = [o.error for o in outcomes if not o.completed]
    if failed:
        raise RuntimeError(f"mumu failed on the corpus: {failed[:3]}")
    ids = [o.recording_id for o in outcomes]
    with Session(engine_for(settings.database)) as session:
        transcripts = {t.recording_id: t.text for t in session.exec(select(Transcript))}
        audio_s = sum(r.duration_s or 0 for r in session.exec(select(Recording)) if r.id in ids)
        work_s = sum(
            run.duration_s or 0
            for run in session.exec(select(StageRun))
            if run.recording_id in ids and run.stage in (Stage.AUDIO, Stage.TRANSCRIBE)
        )
    text = " ".join(transcripts[i] for i in ids if i is not None)
    return PhaseResult(
        phase,
        len(outcomes),
        audio_s,
        wall,
        work_s,
        word_error_rate(reference, text),
        _peak_rss_mb(),
        whisper.model_loads,
    )


def word_error_rate(reference: str, hypothesis: str) -> float:
    """jiwer's WER on lower-cased words, punctuation dropped (the tests use it too)."""
    import re

    import jiwer

    def normalise(text: str) -> str:
        return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())

    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_all(data_dir: Path, minutes: float, files: int, out: Path) -> dict[str, Any]:
    build_corpus(data_dir, minutes, files, out)
    results: dict[str, PhaseResult] = {}
    for phase in PHASES:
        completed = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "mumu.devtools.bench", phase, str(out / "corpus.json")],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"{phase} failed:\n{completed.stderr[-2000:]}")
        results[phase] = PhaseResult(**json.loads(completed.stdout.strip().splitlines()[-1]))
    long, short = results["mumu-long"], results["mumu-short"]
    summary = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "minutes": minutes,
        "short_files": files,
        "cpu_count": os.cpu_count(),
        "phases": {
            name: asdict(result) | {"speed": result.speed} for name, result in results.items()
        },
        "mumu_vs_raw_batched": long.speed / results["raw-batched"].speed,
        "mumu_vs_raw_sequential": long.speed / results["raw-sequential"].speed,
        "overhead_per_short_file_s": (short.wall_s - short.work_s) / short.files,
    }
    (out / "results.json").write_text(json.dumps(summary, indent=2))
    return summary


LONG_HEADER = [
    "date", "command", "CPUs", "raw seq", "raw batched", "mumu long", "mumu / batched",
    "mumu / seq", "WER raw seq / batched / mumu", "overhead per short file",
    "peak MB mumu long",
]  # fmt: skip


def append_row(results_file: Path, summary: dict[str, Any], command: str) -> None:
    """One dated line per run in the long file's last table, with the command that made
    it (``bench_results``: the other modes keep tables of their own in the same file)."""
    from mumu.devtools.bench_results import add_row

    if not results_file.exists():
        results_file.write_text(
            "# `mumu bench` results\n\nSpeeds are seconds of audio per wall second; "
            "ratios compare mumu on the long file with raw faster-whisper in the same run.\n"
        )
    phases = summary["phases"]
    row = [
        summary["date"],
        f"`{command}`",
        str(summary["cpu_count"]),
        f"{phases['raw-sequential']['speed']:.1f}",
        f"{phases['raw-batched']['speed']:.1f}",
        f"{phases['mumu-long']['speed']:.1f}",
        f"{summary['mumu_vs_raw_batched']:.2f}",
        f"{summary['mumu_vs_raw_sequential']:.2f}",
        f"{phases['raw-sequential']['wer']:.3f} / {phases['raw-batched']['wer']:.3f} / "
        f"{phases['mumu-long']['wer']:.3f}",
        f"{summary['overhead_per_short_file_s']:.3f} s",
        f"{phases['mumu-long']['peak_rss_mb']:.0f}",
    ]
    add_row(results_file, LONG_HEADER, row, "Long file (`--mode long`)", "")


if __name__ == "__main__":
    phase_name, corpus_file = sys.argv[1], Path(sys.argv[2])
    result = run_phase(phase_name, json.loads(corpus_file.read_text()))
    print(json.dumps(asdict(result)))
