"""Where the speech is, cut into the clips Whisper decodes, and the language of each.

Silero VAD finds speech once per window; ``speech_clips`` joins it, pauses and all, into
stretches of at most one 30 s Whisper window, cut only where nobody speaks. Both the
batched decoder and the hallucination gate use them. ``language_runs`` gives each clip
its own language, so a recording that switches language is decoded in each (Whisper
detects one language per file): on ``multilingual.mp3`` with the base model, the English
half is ``en`` and the German half ``de``, each with probability 1.0 per clip, where
detecting per VAD region (a second or two) guessed ``pl`` for a short English phrase.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 16_000
CLIP_S = 30.0
MIN_LANGUAGE_PROBABILITY = 0.5

Span = tuple[float, float]


class Said(Protocol):
    """A transcript segment, stored or just decoded."""

    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def language(self) -> str | None: ...
    @property
    def flag(self) -> str | None: ...


def languages_spoken(segments: Sequence[Said]) -> list[str]:
    """Every language of the trusted segments, the one spoken longest first."""
    spoken: dict[str, float] = {}
    for segment in segments:
        if segment.language and segment.flag is None:
            spoken[segment.language] = (
                spoken.get(segment.language, 0.0) + segment.end - segment.start
            )
    return sorted(spoken, key=lambda language: -spoken[language])


@dataclass(frozen=True)
class LanguageRun:
    """A stretch of a window (seconds from its start) decoded in one language; None
    lets Whisper detect it (an English-only model, a language set, or no speech)."""

    start: float
    end: float
    language: str | None
    probability: float | None = field(default=None, compare=False)


def find_speech(samples: np.ndarray) -> list[Span]:
    """Where Silero VAD hears speech, in seconds, no stretch longer than a Whisper window."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(
        samples, VadOptions(max_speech_duration_s=CLIP_S, min_silence_duration_ms=160)
    )
    return [(span["start"] / SAMPLE_RATE, span["end"] / SAMPLE_RATE) for span in spans]


def speech_clips(speech: list[Span]) -> list[dict[str, float]]:
    """Consecutive speech joined, pauses and all, into clips of at most one window."""
    clips: list[dict[str, float]] = []
    for start, end in speech:
        if clips and end - clips[-1]["start"] <= CLIP_S:
            clips[-1]["end"] = end
        else:
            clips.append({"start": start, "end": end})
    return clips


def language_runs(
    speech: list[Span], duration_s: float, detect: Callable[[float, float], tuple[str, float]]
) -> list[LanguageRun]:
    """The window cut into runs of clips in one language, covering it end to end.

    A clip detected with probability under 0.5 takes the language of the clip before it
    (of the one after, at the start): too little speech to tell.
    """
    clips = speech_clips(speech)
    detected = [detect(clip["start"], clip["end"]) for clip in clips]
    languages = [lang if p >= MIN_LANGUAGE_PROBABILITY else None for lang, p in detected]
    for index in range(1, len(languages)):
        languages[index] = languages[index] or languages[index - 1]
    for index in range(len(languages) - 2, -1, -1):
        languages[index] = languages[index] or languages[index + 1]
    runs: list[LanguageRun] = []
    for clip, language, (guess, probability) in zip(clips, languages, detected, strict=True):
        language = language or guess
        sure = probability if language == guess else None
        if runs and runs[-1].language == language:
            best = max(filter(None, (runs[-1].probability, sure)), default=None)
            runs[-1] = replace(runs[-1], probability=best)
            continue
        if runs:
            runs[-1] = replace(runs[-1], end=clip["start"])
        runs.append(LanguageRun(clip["start"] if runs else 0.0, duration_s, language, sure))
    return runs or [LanguageRun(0.0, duration_s, None)]


def within(speech: list[Span], run: LanguageRun) -> list[Span]:
    """The speech of one run, in seconds from the run's start."""
    return [
        (max(start, run.start) - run.start, min(end, run.end) - run.start)
        for start, end in speech
        if end > run.start and start < run.end
    ]
