"""The golden set: transcript quality measured the same way before and after a change.

A golden set is recordings with reference text: a folder holding ``references.json`` (the
shape of ``../shared/data``), or any folder of audio files each with a ``.txt`` beside
it. ``score`` transcribes it with some settings and measures, per file and overall, the
word error rate (errors over reference words, jiwer on normalised words), the same for
raw faster-whisper with its library defaults on the same model (``transcribe(path,
vad_filter=True)``: the bar mumu must clear), what the hallucination gate kept out and
how many of those words were right, what it kept marked with a doubt, and the speed.
``compare`` says whether a candidate is worse than the current settings by more than a
margin, ``behind_raw`` on which files mumu is worse than raw faster-whisper; ``mumu
eval`` and the ``evaluate`` flow print both side by side and fail when it is.
``dev/golden-baseline.json`` holds the accepted scores of the defaults on the shared
clips, which the test suite holds every change to.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mumu.errors import BadInput
from mumu.intake.sources import AUDIO_EXTENSIONS
from mumu.settings import Settings
from mumu.stages.transcribe import transcribe
from mumu.transcription.audio import decode
from mumu.transcription.gate import TranscriptSegment

DEFAULT_MARGIN = 0.02


@dataclass(frozen=True)
class GoldenItem:
    name: str
    path: Path
    reference: str
    turns: list[tuple[float, float, str]] | None = None
    """Who spoke when (``NAME.speakers.json`` beside the audio), where known."""


@dataclass(frozen=True)
class FileScore:
    name: str
    reference_words: int
    errors: int
    flagged: int
    audio_s: float
    wall_s: float
    raw_errors: int | None = None
    hidden_words: int = 0
    hidden_right: int = 0
    doubted: int = 0
    speakers_right: float | None = None
    speakers_found: int | None = None
    speakers_said: int | None = None

    @property
    def wer(self) -> float:
        return self.errors / self.reference_words if self.reference_words else 0.0

    @property
    def raw_wer(self) -> float | None:
        if self.raw_errors is None:
            return None
        return self.raw_errors / self.reference_words if self.reference_words else 0.0


@dataclass(frozen=True)
class Score:
    label: str
    key: str
    files: list[FileScore]

    @property
    def wer(self) -> float:
        words = sum(f.reference_words for f in self.files)
        return sum(f.errors for f in self.files) / words if words else 0.0

    @property
    def flagged(self) -> int:
        return sum(f.flagged for f in self.files)

    @property
    def speed(self) -> float:
        wall = sum(f.wall_s for f in self.files)
        return sum(f.audio_s for f in self.files) / wall if wall else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "key": self.key,
            "wer": round(self.wer, 4),
            "flagged": self.flagged,
            "files": [
                asdict(f) | {"wer": round(f.wer, 4), "raw_wer": f.raw_wer and round(f.raw_wer, 4)}
                for f in self.files
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Score:
        derived = ("wer", "raw_wer")
        files = [
            FileScore(**{k: v for k, v in f.items() if k not in derived}) for f in data["files"]
        ]
        return cls(label=data["label"], key=data["key"], files=files)


@dataclass(frozen=True)
class Verdict:
    worse: bool
    reasons: list[str]


def golden_set(folders: list[Path]) -> list[GoldenItem]:
    """Each recording once, named by its file (by folder and file with several folders)."""
    items: dict[Path, GoldenItem] = {}
    for folder in folders:
        if not folder.is_dir():
            raise ValueError(f"golden set folder {folder} does not exist")
        prefix = f"{folder.name}/" if len(folders) > 1 else ""
        references = folder / "references.json"
        if references.is_file():
            for name, entry in sorted(json.loads(references.read_text()).items()):
                if not isinstance(entry, dict):
                    raise ValueError(f"{references}: the entry for {name} is not an object")
                text = reference_text(entry)
                if text and (folder / name).is_file():
                    items[folder / name] = GoldenItem(prefix + name, folder / name, text)
        for audio in sorted(folder.iterdir()):
            written = audio.with_suffix(".txt")
            if audio.suffix.lower() in AUDIO_EXTENSIONS and written.is_file():
                turns_file = audio.with_suffix(".speakers.json")
                turns = None
                if turns_file.is_file():
                    turns = [
                        (float(a), float(b), str(w))
                        for a, b, w in json.loads(turns_file.read_text())
                    ]
                items.setdefault(
                    audio, GoldenItem(prefix + audio.name, audio, written.read_text(), turns)
                )
    return list(items.values())


def reference_text(entry: dict[str, Any]) -> str | None:
    """What was said in the whole recording, from the fields references.json uses."""
    if entry.get("text"):
        return str(entry["text"])
    if entry.get("channel_texts"):
        return " ".join(entry["channel_texts"])
    parts = [entry.get(key) for key in ("text_en", "text_de", "text_de_approx")]
    if any(parts):
        return " ".join(str(part) for part in parts if part)
    return str(entry["text_approx"]) if entry.get("text_approx") else None


def score(items: list[GoldenItem], settings: Settings, label: str) -> Score:
    from mumu.transcription import whisper

    options = settings.transcription
    model = whisper.get_model(options.engine)  # not timed
    files = []
    for item in items:
        started = time.perf_counter()
        try:
            decoded = decode(item.path, settings.intake.max_duration_s)
        except BadInput as exc:
            raise BadInput(f"{item.name}: {exc}") from None
        result = transcribe(decoded, options)
        wall = time.perf_counter() - started
        reference = _normalise(item.reference)
        errors = _errors(reference, _normalise(result.text))
        flagged = sum(1 for segment in result.segments if segment.flag)
        words = len(reference.split())
        raw, _ = model.transcribe(str(item.path), vad_filter=True)
        raw_errors = _errors(reference, _normalise(" ".join(s.text for s in raw)))
        hidden_words, hidden_right = hidden_and_right(reference, result.segments)
        voices = None
        if item.turns and options.diarize:
            voices = speaker_accuracy(result.segments, item.turns)
        files.append(
            FileScore(
                item.name,
                words,
                errors,
                flagged,
                decoded.duration_s,
                wall,
                raw_errors,
                hidden_words,
                hidden_right,
                sum(1 for segment in result.segments if segment.doubt),
                *(voices or (None, None, None)),
            )
        )
    return Score(label, options.key, files)


def hidden_and_right(reference: str, segments: list[TranscriptSegment]) -> tuple[int, int]:
    """Words the gate kept out, and how many of them the reference has where they were
    said: with every segment put back in order, the kept-out words jiwer aligns as hits."""
    import jiwer

    said: list[str] = []
    hidden: list[bool] = []
    for segment in segments:
        words = _normalise(segment.text).split()
        said += words
        hidden += [segment.flag is not None] * len(words)
    if not any(hidden) or not reference:
        return sum(hidden), 0
    alignment = jiwer.process_words(reference, " ".join(said)).alignments[0]
    right = sum(
        sum(hidden[chunk.hyp_start_idx : chunk.hyp_end_idx])
        for chunk in alignment
        if chunk.type == "equal"
    )
    return sum(hidden), right


def speaker_accuracy(
    segments: list[TranscriptSegment], turns: list[tuple[float, float, str]]
) -> tuple[float, int, int]:
    """The share of the speaking time transcribed that is labelled with the right
    speaker, the speakers told apart and the speakers who spoke. Each speaker number
    stands for the person it overlaps most; a kept segment with no speaker is wrong."""

    def overlap(segment: TranscriptSegment, start: float, end: float) -> float:
        return max(0.0, min(segment.end, end) - max(segment.start, start))

    labelled = [s for s in segments if s.voice is not None and s.flag is None]
    heard: dict[int, dict[str, float]] = {}
    for segment in labelled:
        for start, end, who in turns:
            by_person = heard.setdefault(segment.voice or 0, {})
            by_person[who] = by_person.get(who, 0.0) + overlap(segment, start, end)
    person = {voice: max(times, key=lambda w: times[w]) for voice, times in heard.items()}
    kept = [s for s in segments if s.flag is None]
    spoken = sum(overlap(segment, start, end) for segment in kept for start, end, _ in turns)
    right = sum(
        overlap(segment, start, end)
        for segment in labelled
        for start, end, who in turns
        if person.get(segment.voice or 0) == who
    )
    return (right / spoken if spoken else 0.0), len(heard), len({w for _, _, w in turns})


def behind_raw(score: Score, margin: float = DEFAULT_MARGIN) -> list[str]:
    """The files on which mumu's transcript is worse than raw faster-whisper's, by more
    than ``margin`` of their words and more than one word."""
    return [
        f"{file.name}: WER {file.wer:.3f} against raw faster-whisper's {file.raw_wer:.3f}"
        for file in score.files
        if file.raw_errors is not None
        and file.errors - file.raw_errors > max(1.0, margin * file.reference_words)
    ]


def compare(current: Score, candidate: Score, margin: float = DEFAULT_MARGIN) -> Verdict:
    """Worse: a WER higher by more than ``margin`` overall, or on a file by more than
    ``margin`` of its words and more than one word (on an 11-word clip one word is 0.09)."""
    reasons = []
    if candidate.wer > current.wer + margin:
        reasons.append(f"overall WER {candidate.wer:.3f} against {current.wer:.3f}")
    before = {f.name: f for f in current.files}
    for after in candidate.files:
        was = before.get(after.name)
        if was and after.errors - was.errors > max(1.0, margin * after.reference_words):
            reasons.append(f"{after.name}: WER {after.wer:.3f} against {was.wer:.3f}")
    return Verdict(bool(reasons), reasons)


def comparable(accepted: Score, current: Score) -> bool:
    """Scores of the same settings on the same recordings."""
    names = sorted(f.name for f in accepted.files) == sorted(f.name for f in current.files)
    return names and accepted.key == current.key


def candidate_settings(overrides: list[str], current: Settings) -> Settings:
    """``current`` with ``NAME=VALUE`` overrides (``whisper_batch_size=1`` or
    ``MUMU_WHISPER_BATCH_SIZE=1``), each validated as the environment would be."""
    values: dict[str, str] = {}
    for override in overrides:
        name, _, value = override.partition("=")
        field = name.strip().lower().removeprefix("mumu_")
        if not value or field not in Settings.model_fields:
            raise ValueError(f"{override!r} is not NAME=VALUE with a mumu setting for NAME")
        values[field] = value
    validated = Settings(**values)  # type: ignore[arg-type]
    return current.model_copy(update={name: getattr(validated, name) for name in values})


def append_row(
    results_file: Path, current: Score, candidate: Score | None, verdict: Verdict
) -> None:
    """One dated line per evaluation in a Markdown table."""
    if not results_file.exists():
        results_file.write_text(
            "# `mumu eval` results\n\nWER is word errors over reference words on the golden "
            "set; flagged is segments the hallucination gate kept out.\n\n"
            "| date | current | WER | flagged | candidate | WER | flagged | verdict |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    other = (
        f"`{_cell(candidate.key)}` | {candidate.wer:.3f} | {candidate.flagged}"
        if candidate
        else "- | - | -"
    )
    outcome = "worse: " + "; ".join(verdict.reasons) if verdict.worse else "not worse"
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with results_file.open("a") as handle:
        handle.write(
            f"| {date} | `{_cell(current.key)}` | {current.wer:.3f} | {current.flagged} | {other} "
            f"| {outcome} |\n"
        )


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def _errors(reference: str, hypothesis: str) -> int:
    import jiwer

    if not reference:
        return len(hypothesis.split())
    output = jiwer.process_words(reference, hypothesis)
    return int(output.substitutions + output.deletions + output.insertions)
