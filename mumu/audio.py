"""Audio probing and decoding with PyAV, as faster-whisper itself decodes.

Probing reads the container header (channels, sample rate, declared duration) before any
decoding work; decoding yields 16 kHz mono float32. A decode that comes up well short
of the declared duration means the file is truncated, which is reported rather than
transcribing half a recording in silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from faster_whisper.audio import decode_audio

from mumu.errors import BadInput

SAMPLE_RATE = 16_000
TRUNCATION_TOLERANCE = 0.9


@dataclass(frozen=True)
class AudioInfo:
    channels: int
    sample_rate: int
    declared_duration_s: float | None


@dataclass(frozen=True)
class DecodedAudio:
    info: AudioInfo
    samples: np.ndarray

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def probe(path: Path) -> AudioInfo:
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise BadInput("not an audio file (no audio stream)")
            stream = container.streams.audio[0]
            declared: float | None = None
            if stream.duration is not None and stream.time_base is not None:
                declared = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                declared = container.duration / av.time_base
            return AudioInfo(
                channels=stream.codec_context.channels or 0,
                sample_rate=stream.codec_context.sample_rate or 0,
                declared_duration_s=declared,
            )
    except av.error.FFmpegError as exc:
        raise BadInput(f"not an audio file ({_ffmpeg_reason(exc)})") from exc


def decode(path: Path) -> DecodedAudio:
    info = probe(path)
    _check_riff_size(path)
    try:
        samples = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except av.error.FFmpegError as exc:
        raise BadInput(f"audio could not be decoded ({_ffmpeg_reason(exc)})") from exc
    decoded = DecodedAudio(info=info, samples=samples)
    if decoded.samples.size == 0:
        raise BadInput("no audio could be decoded (empty or truncated file)")
    declared = info.declared_duration_s
    if declared and decoded.duration_s < declared * TRUNCATION_TOLERANCE:
        raise BadInput(
            f"truncated file: decoded {decoded.duration_s:.1f} s of {declared:.1f} s declared"
        )
    return decoded


def _check_riff_size(path: Path) -> None:
    """WAV headers state their size; FFmpeg silently shortens a cut-off file, so check it."""
    with path.open("rb") as handle:
        header = handle.read(12)
    if len(header) == 12 and header[:4] == b"RIFF" and header[8:12] == b"WAVE":
        declared_size = int.from_bytes(header[4:8], "little") + 8
        actual_size = path.stat().st_size
        if actual_size < declared_size:
            raise BadInput(
                f"truncated file: {actual_size} of {declared_size} bytes the WAV header declares"
            )


def _ffmpeg_reason(exc: av.error.FFmpegError) -> str:
    return (exc.strerror or str(exc)).strip().rstrip(".").lower()
