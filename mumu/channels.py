"""Which channels of a recording carry a speaker each, and what they are called.

Call and meeting recorders often write one speaker per channel; mixing them to mono
makes Whisper follow one voice where both speak at once (``stereo_diarization.wav``
loses a whole sentence). But most stereo is one scene heard twice: dual mono, a stereo
microphone, a podcast with its voices in the middle. What tells them apart is the
loudness envelope (RMS over 10 ms): a channel per speaker rises and falls with its own
speaker (envelope correlation 0.2 on that file, though the two talk over each other),
while two microphones in one room, or one voice panned, rise and fall together (0.99
for a copy 1 ms late, where the samples themselves correlate at 0.02). Channels are
transcribed apart only when every pair of channels with sound in them moves apart;
anything else is mixed, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from mumu.errors import BadInput

if TYPE_CHECKING:
    from mumu.audio import DecodedAudio

FRAME = 160  # 10 ms at 16 kHz
BLOCK_FRAMES = 6000  # read a minute at a time
MAX_ENVELOPE_CORRELATION = 0.7
SILENT_BELOW_DB = -40.0  # relative to the loudest channel


def speaker_channels(decoded: DecodedAudio) -> tuple[int, ...]:
    """The channels (from 0) to transcribe one by one; empty to transcribe the mix."""
    if decoded.channels < 2:
        return ()
    envelope = _envelope(decoded)
    if len(envelope) < 2:
        return ()
    level = np.sqrt(np.mean(envelope**2, axis=0))
    voiced = np.flatnonzero(level > level.max() * 10 ** (SILENT_BELOW_DB / 20))
    if len(voiced) < 2:
        return ()
    correlation = np.corrcoef(envelope[:, voiced].T)
    apart = correlation[~np.eye(len(voiced), dtype=bool)]
    if np.isnan(apart).any() or apart.max() > MAX_ENVELOPE_CORRELATION:
        return ()
    return tuple(int(channel) for channel in voiced)


def _envelope(decoded: DecodedAudio) -> np.ndarray:
    """RMS of each 10 ms of each channel: one row per 10 ms, one column per channel."""
    rows = []
    step = BLOCK_FRAMES * FRAME
    for start in range(0, decoded.frames - FRAME + 1, step):
        block = decoded.read_channels(start, min(step, decoded.frames - start))
        usable = len(block) // FRAME * FRAME
        rows.append(
            np.sqrt(np.square(block[:usable]).reshape(-1, FRAME, decoded.channels).mean(axis=1))
        )
    return np.concatenate(rows) if rows else np.zeros((0, decoded.channels), np.float32)


def speaker_name(channel: int | None, names: Mapping[str, str] | None) -> str | None:
    """What a segment's speaker is called: the name given to its channel (numbered from
    1, as people count them), or ``channel N``; None for a recording heard as one mix."""
    if channel is None:
        return None
    return (names or {}).get(str(channel)) or f"channel {channel}"


MAX_NAME_LENGTH = 80


def parse_names(assignments: Sequence[str]) -> dict[int, str]:
    """``1=Agent 2="Customer"`` as typed: channel number to name, the name on one line
    without control characters; ``1=`` gives channel 1 its default name back."""
    names: dict[int, str] = {}
    for assignment in assignments:
        channel, equals, name = assignment.partition("=")
        if not equals or not channel.strip().isdigit() or int(channel) < 1:
            raise BadInput(
                f"{assignment!r} is not CHANNEL=NAME: give a channel number from 1 and a "
                'name, as in 1="Agent"'
            )
        clean = " ".join("".join(c if c.isprintable() else " " for c in name).split())
        if len(clean) > MAX_NAME_LENGTH:
            raise BadInput(
                f"the name for channel {int(channel)} is over {MAX_NAME_LENGTH} characters"
            )
        names[int(channel)] = clean
    return names
