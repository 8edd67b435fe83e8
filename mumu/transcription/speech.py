"""Where the speech is, cut into the clips Whisper decodes, and the language of each.

Silero VAD finds speech once per window; ``speech_clips`` joins it, pauses and all, into
stretches of at most one 30 s Whisper window, cut only where nobody speaks. Both the
batched decoder and the hallucination gate use them. ``language_runs`` gives each
utterance (speech between pauses VAD measures at 0.5 s or more, about 0.9 s of silence: where
people switch language) its own
language, so a recording that switches language is decoded in each (Whisper detects one
language per file). A language is chosen only where it was heard with confidence
somewhere in the window: detecting per VAD region (a second or two) guessed ``pl`` for a
short English phrase, and one clip of four languages came out as Latin; so utterances
under 2 s are joined to a neighbour, and a doubtful guess takes the likeliest of the
languages heard with confidence.
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
CONFIDENT = 0.8
UTTERANCE_PAUSE_S = 0.5
MIN_UTTERANCE_S = 2.0

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


Detect = Callable[[float, float], list[tuple[str, float]]]
"""The languages of the speech between two times, most probable first."""


def utterances(speech: list[Span]) -> list[Span]:
    """Speech between pauses of ``UTTERANCE_PAUSE_S`` or more, where a speaker may switch
    language, each at most one window; one shorter than ``MIN_UTTERANCE_S`` is joined to
    its neighbour (too little speech to tell a language by)."""
    joined: list[Span] = []
    for start, end in speech:
        if joined and start - joined[-1][1] < UTTERANCE_PAUSE_S and end - joined[-1][0] <= CLIP_S:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    kept: list[Span] = []
    for start, end in joined:
        short = end - start < MIN_UTTERANCE_S or (
            kept and kept[-1][1] - kept[-1][0] < MIN_UTTERANCE_S
        )
        if kept and short and end - kept[-1][0] <= CLIP_S:
            kept[-1] = (kept[-1][0], end)
        else:
            kept.append((start, end))
    return kept


def language_runs(speech: list[Span], duration_s: float, detect: Detect) -> list[LanguageRun]:
    """The window cut into runs of utterances in one language, covering it end to end.

    Only a language detected with confidence (``CONFIDENT``) somewhere in the window is
    chosen: an utterance whose best guess is another (Latin for a mixed or short clip)
    takes the likeliest of those, and one detected under ``MIN_LANGUAGE_PROBABILITY``
    with nothing confident anywhere takes the language of its neighbours.
    """
    pieces = utterances(speech)
    found = [sorted(detect(start, end), key=lambda ranked: -ranked[1]) for start, end in pieces]
    spoken = {ranked[0][0] for ranked in found if ranked and ranked[0][1] >= CONFIDENT}
    chosen: list[tuple[str | None, float | None]] = []
    for ranked in found:
        candidates = [(lang, p) for lang, p in ranked if not spoken or lang in spoken]
        if not candidates:
            chosen.append((None, None))
            continue
        likeliest, probability = candidates[0]
        if not spoken and probability < MIN_LANGUAGE_PROBABILITY:
            chosen.append((None, None))
        else:
            chosen.append((likeliest, probability if likeliest == ranked[0][0] else None))
    languages = [language for language, _ in chosen]
    for index in range(1, len(languages)):
        languages[index] = languages[index] or languages[index - 1]
    for index in range(len(languages) - 2, -1, -1):
        languages[index] = languages[index] or languages[index + 1]
    runs: list[LanguageRun] = []
    for (start, _), filled, (picked, sure), ranked in zip(
        pieces, languages, chosen, found, strict=True
    ):
        language = filled or (ranked[0][0] if ranked else None)
        sure = sure if language == picked else None
        if runs and runs[-1].language == language:
            best = max(filter(None, (runs[-1].probability, sure)), default=None)
            runs[-1] = replace(runs[-1], probability=best)
            continue
        if runs:
            runs[-1] = replace(runs[-1], end=start)
        runs.append(LanguageRun(start if runs else 0.0, duration_s, language, sure))
    return runs or [LanguageRun(0.0, duration_s, None)]


def within(speech: list[Span], run: LanguageRun) -> list[Span]:
    """The speech of one run, in seconds from the run's start."""
    return [
        (max(start, run.start) - run.start, min(end, run.end) - run.start)
        for start, end in speech
        if end > run.start and start < run.end
    ]
