"""Which channels of a recording carry a speaker each (``mumu.speakers`` names them).

Call and meeting recorders often write one speaker per channel; mixing them to mono
makes Whisper follow one voice where both speak at once (``stereo_diarization.wav``
loses a whole sentence). But most stereo is one scene heard twice: dual mono, a stereo
microphone, a podcast with its voices in the middle. What tells them apart is the
loudness envelope (RMS over 10 ms): a channel per speaker rises and falls with its own
speaker (envelope correlation 0.2 on that file, though the two talk over each other),
while two microphones in one room, or one voice panned, rise and fall together (0.99
for a copy 1 ms late, where the samples themselves correlate at 0.02). Channels are
transcribed apart only when every pair of channels with speech-like sound in them (loud
and quiet by turns, not a steady hiss) moves apart; anything else is mixed, as before.
Where one speaker leaks into the other's channel (an echo on a phone line), the leaked
copy is flagged as crosstalk and kept out of the text: it is heard louder elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mumu.transcription.audio import DecodedAudio

VERSION = 1  # in the audio stage's key: a change to how channels are told apart redoes it
SAMPLE_RATE = 16_000
FRAME = 160  # 10 ms
BLOCK_FRAMES = 6000  # read a minute at a time
MAX_ENVELOPE_CORRELATION = 0.7
SILENT_BELOW_DB = -40.0  # relative to the loudest channel
MIN_DYNAMIC_RANGE_DB = 20.0  # loudest 1 % of 10 ms against the quietest 10 %: hiss has none
CROSSTALK_DB = 10.0


def speaker_channels(decoded: DecodedAudio) -> tuple[int, ...]:
    """The channels (from 0) to transcribe one by one; empty to transcribe the mix."""
    if decoded.channels < 2:
        return ()
    envelope = _envelope(decoded)
    if len(envelope) < 2:
        return ()
    level = np.sqrt(np.mean(envelope**2, axis=0))
    loud, quiet = np.percentile(envelope, 99, axis=0), np.percentile(envelope, 10, axis=0)
    voiced = np.flatnonzero(
        (level > level.max() * 10 ** (SILENT_BELOW_DB / 20))
        & (loud > quiet * 10 ** (MIN_DYNAMIC_RANGE_DB / 20))
    )
    if len(voiced) < 2:
        return ()
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.corrcoef(envelope[:, voiced].T)
    apart = correlation[~np.eye(len(voiced), dtype=bool)]
    if np.isnan(apart).any() or apart.max() > MAX_ENVELOPE_CORRELATION:
        return ()
    return tuple(int(channel) for channel in voiced)


def louder_elsewhere(
    decoded: DecodedAudio, channel: int, start_s: float, end_s: float
) -> int | None:
    """The channel (from 0) from which what ``channel`` holds from ``start_s`` to
    ``end_s`` leaked, if any: at least 10 dB louder there, and rising and falling with it
    (a leak is a quieter copy; a quiet speaker talking over a loud one is not)."""
    first = int(start_s * SAMPLE_RATE)
    frames = decoded.read_channels(first, max(FRAME, int(end_s * SAMPLE_RATE) - first))
    level = np.sqrt(np.mean(np.square(frames), axis=0))
    others = [c for c in decoded.speaker_channels if c != channel]
    loudest = max(others, key=lambda c: level[c], default=None)
    if loudest is None or level[loudest] < level[channel] * 10 ** (CROSSTALK_DB / 20):
        return None
    envelope = _rms_per_frame(frames)
    with np.errstate(invalid="ignore", divide="ignore"):
        together = np.corrcoef(envelope[:, channel], envelope[:, loudest])[0, 1]
    return int(loudest) if together > MAX_ENVELOPE_CORRELATION else None


def _envelope(decoded: DecodedAudio) -> np.ndarray:
    """RMS of each 10 ms of each channel: one row per 10 ms, one column per channel."""
    rows = []
    step = BLOCK_FRAMES * FRAME
    for start in range(0, decoded.frames - FRAME + 1, step):
        rows.append(_rms_per_frame(decoded.read_channels(start, min(step, decoded.frames - start))))
    return np.concatenate(rows) if rows else np.zeros((0, decoded.channels), np.float32)


def _rms_per_frame(frames: np.ndarray) -> np.ndarray:
    """RMS of each whole 10 ms of ``frames`` (one column per channel), a row per 10 ms."""
    usable = len(frames) // FRAME * FRAME
    rms: np.ndarray = np.sqrt(
        np.square(frames[:usable]).reshape(-1, FRAME, frames.shape[1]).mean(axis=1)
    )
    return rms
