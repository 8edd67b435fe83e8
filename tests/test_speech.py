"""Speech clips and the language of each: a recording that switches language, in runs."""

from __future__ import annotations

from collections.abc import Callable

from mumu.speech import LanguageRun, language_runs, speech_clips, within

SPEECH = [(1.0, 5.0), (6.0, 20.0), (20.5, 31.0), (40.0, 50.0), (90.0, 95.0)]


def detector(*languages: tuple[str, float]) -> Callable[[float, float], tuple[str, float]]:
    found = iter(languages)
    return lambda _start, _end: next(found)


def test_speech_is_decoded_in_clips_as_it_was_said() -> None:
    assert speech_clips(SPEECH) == [
        {"start": 1.0, "end": 31.0},
        {"start": 40.0, "end": 50.0},
        {"start": 90.0, "end": 95.0},
    ]
    assert speech_clips([]) == []


def test_each_language_is_a_run_and_the_runs_cover_the_window() -> None:
    runs = language_runs(SPEECH, 100.0, detector(("en", 0.99), ("de", 0.97), ("de", 0.9)))
    assert runs == [LanguageRun(0.0, 40.0, "en"), LanguageRun(40.0, 100.0, "de")]


def test_a_clip_too_short_to_tell_takes_the_language_around_it() -> None:
    runs = language_runs(SPEECH, 100.0, detector(("en", 0.99), ("pl", 0.3), ("en", 0.95)))
    assert runs == [LanguageRun(0.0, 100.0, "en")]
    first_unsure = language_runs(SPEECH, 100.0, detector(("pl", 0.3), ("de", 0.9), ("de", 0.9)))
    assert first_unsure == [LanguageRun(0.0, 100.0, "de")]


def test_no_speech_is_one_run_left_to_whisper() -> None:
    assert language_runs([], 12.0, detector()) == [LanguageRun(0.0, 12.0, None)]


def test_a_runs_speech_is_counted_from_its_start() -> None:
    assert within(SPEECH, LanguageRun(40.0, 100.0, "de")) == [(0.0, 10.0), (50.0, 55.0)]
    assert within([(35.0, 45.0)], LanguageRun(40.0, 100.0, "de")) == [(0.0, 5.0)]
