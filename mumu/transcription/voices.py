"""Speakers told apart by voice, in a recording heard as one mix (``MUMU_DIARIZE``).

Resemblyzer's voice encoder (GE2E, its weights inside its PyPI wheel, so nothing is
fetched at run time; ``pip install 'mumu[speakers]'``) gives each transcript segment a
256-number voiceprint; segments whose voiceprints are close are one speaker
(agglomerative clustering, average linkage). A print of under 1.5 s of speech is too
unsure to found a speaker (the stand-up's "three options.", 1.1 s, was as near every
voice as its own): only segments of 1.5 s or more are clustered, and each shorter one
joins the speaker whose average print is nearest, as pyannote gives small clusters to
large ones. Measured on the golden set (``mumu.devtools.goldenset``: two women and a man over
noise, two men of one accent, four voices in quick turns, a ten-minute meeting of three)
the speaker count and every label came out right for thresholds from 0.79 to 0.82;
0.775 joined a woman with a man, 0.84 split the four voices into seven. The threshold,
0.8, is in that range. On the shared recordings (nine clips of five real speakers, 2 to
8 s) the same speaker measured 0.79 to 0.95, different speakers 0.44 to 0.63: a real
voice may split where its prints fall under 0.8 (not measured on a real meeting; none
is at hand). A segment's voiceprint is of the whole segment: where two people speak
inside one, it is a blend of both. Segments the gate kept out (loops, words over
silence), or with under a quarter second of voice, get no speaker; doubted ones do.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from mumu.errors import ConfigurationError

SAMPLE_RATE = 16_000
MIN_SIMILARITY = 0.8
MIN_FOUNDING_S = 1.5
MIN_VOICE_S = 0.25
_lock = threading.Lock()
_encoders: list[Any] = []


def voiceprint(samples: np.ndarray) -> np.ndarray | None:
    """The voice of a stretch of 16 kHz audio as a unit vector, loudness evened and long
    silences cut as Resemblyzer prepares it; None when too little voice is left."""
    encoder = encoder_for_voices()
    from resemblyzer import preprocess_wav

    if len(samples) < MIN_VOICE_S * SAMPLE_RATE or not np.any(samples):
        return None
    with np.errstate(all="ignore"):
        voice = preprocess_wav(samples.astype(np.float32), source_sr=SAMPLE_RATE)
    if len(voice) < MIN_VOICE_S * SAMPLE_RATE:
        return None
    with _lock:  # one model, shared by the threads of a worker
        return np.asarray(encoder.embed_utterance(voice), np.float32)


def speaker_numbers(prints: Sequence[np.ndarray], seconds: Sequence[float]) -> list[int]:
    """One speaker number per voiceprint (of a segment lasting ``seconds``), from 1, in
    order of first appearance."""
    if not prints:
        return []
    founding = [i for i, length in enumerate(seconds) if length >= MIN_FOUNDING_S]
    if len(founding) < 2:
        founding = list(range(len(prints)))
    clusters = dict(zip(founding, _clusters([prints[i] for i in founding]), strict=True))
    centres = {
        cluster: np.mean([prints[i] for i, c in clusters.items() if c == cluster], axis=0)
        for cluster in set(clusters.values())
    }
    for i in range(len(prints)):
        if i not in clusters:
            clusters[i] = max(centres, key=lambda c: _similarity(prints[i], centres[c]))
    order: dict[int, int] = {}
    return [order.setdefault(clusters[i], len(order) + 1) for i in range(len(prints))]


def _clusters(prints: list[np.ndarray]) -> list[int]:
    if len(prints) == 1:
        return [1]
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(np.stack(prints), method="average", metric="cosine")
    return [int(c) for c in fcluster(tree, t=1 - MIN_SIMILARITY, criterion="distance")]


def _similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def encoder_for_voices() -> Any:
    """The voice encoder, loaded once per process (under the lock: threads share it);
    a ``ConfigurationError`` naming the extra when it is not installed."""
    with _lock:
        if not _encoders:
            try:
                with warnings.catch_warnings():  # pkg_resources and scipy deprecations
                    warnings.simplefilter("ignore")
                    import torch
                    from resemblyzer import VoiceEncoder
            except ImportError:
                raise ConfigurationError(
                    "MUMU_DIARIZE needs the voice encoder: pip install 'mumu[speakers]'"
                ) from None
            torch.set_num_threads(1)  # the cores are Whisper's; a voiceprint is milliseconds
            _encoders.append(VoiceEncoder("cpu", verbose=False))
        return _encoders[0]
