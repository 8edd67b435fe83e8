"""Speakers told apart by voice, in a recording heard as one mix (``MUMU_DIARIZE``).

Resemblyzer's voice encoder (GE2E, its weights inside its PyPI wheel, so nothing is
fetched at run time; ``pip install 'mumu[speakers]'``) gives each transcript segment a
256-number voiceprint; segments whose voiceprints are close are one speaker
(agglomerative clustering, average linkage). Measured on the shared recordings (nine
clips of five speakers, 2 to 8 s): the same speaker 0.79 to 0.95 cosine similarity,
different speakers 0.44 to 0.63; on the golden set's synthetic voices (``mumu.goldenset``:
a stand-up of two women and a man, two men of one accent) the same speaker 0.85 to 0.93,
different speakers 0.53 to 0.76, where 0.72 merged a woman with the man. Segments join
while their average similarity is at least 0.775, midway between the closest different
speakers (0.76) and the least alike same speaker (0.79). A segment's voiceprint is of
the whole segment: where two people speak inside one, it is a blend of both, which may
join either or stand as a speaker of its own (not measured). Segments the gate kept out
(loops, words over silence), or with under a quarter second of voice, get no speaker;
doubted ones do.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from mumu.errors import ConfigurationError

SAMPLE_RATE = 16_000
MIN_SIMILARITY = 0.775
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


def speaker_numbers(prints: Sequence[np.ndarray]) -> list[int]:
    """One speaker number per voiceprint, from 1, in order of first appearance."""
    if not prints:
        return []
    if len(prints) == 1:
        return [1]
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(np.stack(prints), method="average", metric="cosine")
    clusters = fcluster(tree, t=1 - MIN_SIMILARITY, criterion="distance")
    order: dict[int, int] = {}
    return [order.setdefault(int(cluster), len(order) + 1) for cluster in clusters]


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
