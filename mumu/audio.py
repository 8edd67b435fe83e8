"""Audio probing and decoding with PyAV, the way faster-whisper decodes.

Probing reads the container header (channels, sample rate, declared duration) before any
decoding work, so a file declaring more than the duration limit is refused at once.
Decoding streams frames through a 16 kHz mono resampler and stops as soon as the output
passes the limit, so a few bytes that expand to hours of audio cannot exhaust memory. A
decode that comes up well short of the declared duration means the file is truncated,
which is reported rather than transcribing half a recording.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

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


def decode(path: Path, max_duration_s: float) -> DecodedAudio:
    info = probe(path)
    if info.declared_duration_s and info.declared_duration_s > max_duration_s:
        raise BadInput(_too_long(f"{_minutes(info.declared_duration_s)} declared", max_duration_s))
    _check_riff_size(path)
    max_samples = int(max_duration_s * SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    decoded = 0
    try:
        for chunk in _pcm16(path):
            decoded += chunk.size
            if decoded > max_samples:
                raise BadInput(_too_long("more audio than declared", max_duration_s))
            chunks.append(chunk)
    except av.error.FFmpegError as exc:
        raise BadInput(f"audio could not be decoded ({_ffmpeg_reason(exc)})") from exc
    if decoded == 0:
        raise BadInput("no audio could be decoded (empty or truncated file)")
    samples = np.concatenate(chunks).astype(np.float32) / 32768.0
    result = DecodedAudio(info=info, samples=samples)
    declared = info.declared_duration_s
    if declared and result.duration_s < declared * TRUNCATION_TOLERANCE:
        raise BadInput(
            f"truncated file: decoded {result.duration_s:.1f} s of {declared:.1f} s declared"
        )
    return result


def _pcm16(path: Path) -> Iterator[np.ndarray]:
    """16 kHz mono signed 16-bit samples, chunk by chunk; invalid frames are skipped."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        frames = container.decode(audio=0)
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except av.error.InvalidDataError:
                continue
            for resampled in resampler.resample(frame):
                yield resampled.to_ndarray().reshape(-1)
        for resampled in resampler.resample(None):
            yield resampled.to_ndarray().reshape(-1)


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


def _too_long(what: str, max_duration_s: float) -> str:
    return f"too long: {what}, over the {_minutes(max_duration_s)} limit"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def _ffmpeg_reason(exc: av.error.FFmpegError) -> str:
    return (exc.strerror or str(exc)).strip().rstrip(".").lower()


def write_wav(path: Path, samples: np.ndarray) -> Path:
    """Write 16 kHz mono float samples as a 16-bit WAV file."""
    import wave

    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return path
