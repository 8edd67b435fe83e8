"""Speech clips and the language of each: a recording that switches language, in runs."""

from __future__ import annotations

from mumu.transcription.speech import (
    Detect,
    LanguageRun,
    language_runs,
    speech_clips,
    utterances,
    within,
)

SPEECH = [(1.0, 5.0), (6.0, 20.0), (20.5, 31.0), (40.0, 50.0), (90.0, 95.0)]


def detector(*languages: tuple[str, float]) -> Detect:
    """Each utterance's best guess, then every other language seen, less likely."""
    found = iter(languages)
    others = sorted({language for language, _ in languages})

    def detect(_start: float, _end: float) -> list[tuple[str, float]]:
        best, probability = next(found)
        rest = [(other, (1 - probability) / 4) for other in others if other != best]
        return [(best, probability), *rest]

    return detect


def test_speech_is_decoded_in_clips_as_it_was_said() -> None:
    assert speech_clips(SPEECH) == [
        {"start": 1.0, "end": 31.0},
        {"start": 40.0, "end": 50.0},
        {"start": 90.0, "end": 95.0},
    ]
    assert speech_clips([]) == []


def test_each_language_is_a_run_and_the_runs_cover_the_window() -> None:
    runs = language_runs(SPEECH, 100.0, detector(*[("en", 0.99)] * 3, ("de", 0.97), ("de", 0.9)))
    assert runs == [LanguageRun(0.0, 40.0, "en"), LanguageRun(40.0, 100.0, "de")]


def test_a_clip_too_short_to_tell_takes_the_language_around_it() -> None:
    unsure = detector(("en", 0.99), ("pl", 0.3), *[("en", 0.95)] * 3)
    assert language_runs(SPEECH, 100.0, unsure) == [LanguageRun(0.0, 100.0, "en")]
    first_unsure = language_runs(SPEECH, 100.0, detector(("pl", 0.3), *[("de", 0.9)] * 4))
    assert first_unsure == [LanguageRun(0.0, 100.0, "de")]


def test_no_speech_is_one_run_left_to_whisper() -> None:
    assert language_runs([], 12.0, detector()) == [LanguageRun(0.0, 12.0, None)]


def test_a_runs_speech_is_counted_from_its_start() -> None:
    assert within(SPEECH, LanguageRun(40.0, 100.0, "de")) == [(0.0, 10.0), (50.0, 55.0)]
    assert within([(35.0, 45.0)], LanguageRun(40.0, 100.0, "de")) == [(0.0, 5.0)]


def test_utterances_are_cut_at_pauses_and_none_is_too_short_to_tell() -> None:
    said = [(0.0, 6.0), (6.2, 7.0), (8.0, 14.0), (14.6, 15.5), (17.0, 25.0)]
    assert utterances(said) == [(0.0, 7.0), (8.0, 15.5), (17.0, 25.0)]
    assert utterances([(0.0, 1.0), (3.0, 9.0)]) == [(0.0, 9.0)], "1 s alone is too little"


def test_a_recording_switching_language_at_short_pauses_is_decoded_in_each() -> None:
    """Four languages, one utterance each, 0.8 s apart by VAD: one 30 s clip before."""
    said = [(0.0, 7.25), (8.05, 14.03), (14.86, 20.46), (21.2, 26.96)]
    runs = language_runs(said, 30.0, detector(("en", 0.93), ("de", 1.0), ("fr", 0.9), ("es", 0.95)))
    assert [(r.language, r.start) for r in runs] == [
        ("en", 0.0),
        ("de", 8.05),
        ("fr", 14.86),
        ("es", 21.2),
    ]


def test_a_language_nobody_speaks_with_confidence_is_never_chosen() -> None:
    """A short or mixed utterance guessed as Latin takes the likeliest language heard."""
    said = [(0.0, 7.0), (8.0, 14.0), (15.0, 21.0)]
    runs = language_runs(said, 22.0, detector(("en", 0.95), ("la", 0.3), ("de", 0.9)))
    assert "la" not in [r.language for r in runs]
    assert {r.language for r in runs} == {"en", "de"}
