"""Clustering voiceprints into speakers (the encoder itself: tests/stages/test_transcribe.py)."""

from __future__ import annotations

import numpy as np

from mumu.transcription.voices import MIN_FOUNDING_S, speaker_numbers


def _print(seed: int, near: np.ndarray | None = None, spread: float = 0.3) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(size=256)
    vector = noise if near is None else near + spread * noise / np.linalg.norm(noise)
    return vector / np.linalg.norm(vector)


def test_speakers_are_numbered_in_order_of_first_appearance() -> None:
    ann, bob = _print(1), _print(2)
    prints = [_print(10, bob), _print(11, ann), _print(12, bob), _print(13, ann)]
    assert speaker_numbers(prints, [3.0] * 4) == [1, 2, 1, 2]


def test_a_short_segment_joins_the_nearest_speaker_instead_of_founding_one() -> None:
    """Under 1.5 s a print is too unsure to be a speaker of its own: "three options."."""
    ann, bob = _print(1), _print(2)
    prints = [_print(10, ann), _print(11, bob), _print(12, ann), _print(13, bob, spread=0.9)]
    seconds = [3.0, 3.0, 3.0, MIN_FOUNDING_S - 0.4]
    assert np.dot(prints[3], prints[1]) < 0.8, "far from its speaker: alone it would found one"
    assert speaker_numbers(prints, seconds) == [1, 2, 1, 2]
    assert len(set(speaker_numbers(prints, [3.0] * 4))) == 3


def test_short_segments_alone_are_still_told_apart() -> None:
    ann, bob = _print(1), _print(2)
    assert speaker_numbers([_print(10, ann), _print(11, bob)], [1.0, 1.0]) == [1, 2]
    assert speaker_numbers([_print(10, ann)], [0.5]) == [1]
    assert speaker_numbers([], []) == []
