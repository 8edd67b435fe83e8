"""Audio probing and decoding with PyAV, the way faster-whisper decodes.

Probing reads the container header (channels, sample rate, declared duration) before any
decoding work, so a file declaring more than the duration limit is refused at once.
Decoding streams frames through a 16 kHz resampler into a file of 16-bit samples, every
channel kept (interleaved), and stops as soon as the output passes the limit: memory does
not grow with the length of a recording (six hours of mono are 690 MB of samples), and a
few bytes that expand to hours of audio cannot exhaust it. The transcriber reads the
samples back a window at a time, one channel or their mix (``mumu.transcription.channels`` decides
which).
A decode that comes up well short of the declared duration means the file is truncated,
which is reported rather than transcribing half a recording.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import weakref
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import av
import numpy as np

from mumu.errors import BadInput

SAMPLE_RATE = 16_000
SAMPLE_BYTES = 2
TRUNCATION_TOLERANCE = 0.9
PROBE_SECONDS = 30
MAX_CHANNELS = 8
NOTHING_DECODED = "no audio could be decoded (empty or truncated file)"
STREAMED_RIFF_SIZES = (0, 0xFFFFFFFF)


@dataclass(frozen=True)
class AudioInfo:
    channels: int
    sample_rate: int
    declared_duration_s: float | None
    stream: int = 0
    streams: int = 1
    layout: str = "mono"


class DecodedAudio:
    """16 kHz audio as 16-bit samples, channels interleaved, in a temporary file removed
    with this object. ``speaker_channels`` are the channels (from 0) that each carry
    their own speaker; empty when the recording is heard as one mix."""

    def __init__(
        self,
        info: AudioInfo,
        path: Path,
        frames: int,
        channels: int = 1,
        speaker_channels: tuple[int, ...] = (),
    ) -> None:
        self.info = info
        self.path = path
        self.frames = frames
        self.channels = channels
        self.speaker_channels = speaker_channels
        weakref.finalize(self, _remove, path)

    @classmethod
    def from_samples(cls, samples: np.ndarray, info: AudioInfo | None = None) -> DecodedAudio:
        """Float samples at 16 kHz, as if decoded (tests, the benchmark): one channel, or
        one column per channel."""
        channels = 1 if samples.ndim == 1 else samples.shape[1]
        with _samples_file() as handle:
            handle.write((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        info = info or AudioInfo(
            channels=channels, sample_rate=SAMPLE_RATE, declared_duration_s=None
        )
        return cls(info, Path(handle.name), len(samples), channels)

    @property
    def duration_s(self) -> float:
        return self.frames / SAMPLE_RATE

    @property
    def samples(self) -> np.ndarray:
        """Every sample of the mix as float32 in [-1, 1], for short recordings."""
        return self.read(0, self.frames)

    def read_channels(self, start: int, count: int) -> np.ndarray:
        """``count`` frames from ``start``: float32 in [-1, 1], one column per channel."""
        return self._pcm(start, count).astype(np.float32) / 32768.0

    def read(self, start: int, count: int, channel: int | None = None) -> np.ndarray:
        """The mix (``None``: the mean of every channel), or one channel at the level it
        has in the mix: each speaker as they sound there, without the others (Whisper's
        log-mel is not level-invariant). float32 only for what is returned (a window of
        eight channels still reads eight as 16-bit)."""
        pcm = self._pcm(start, count)
        if channel is not None:
            alone = np.ascontiguousarray(pcm[:, channel]).astype(np.float32)
            return alone / (32768.0 * self.channels)
        if self.channels == 1:
            return pcm[:, 0].astype(np.float32) / 32768.0
        mixed: np.ndarray = pcm.sum(axis=1, dtype=np.int32) / (32768.0 * self.channels)
        return mixed.astype(np.float32)

    def _pcm(self, start: int, count: int) -> np.ndarray:
        with self.path.open("rb") as handle:
            handle.seek(start * self.channels * SAMPLE_BYTES)
            pcm = np.fromfile(handle, dtype="<i2", count=max(0, count) * self.channels)
        return pcm.reshape(-1, self.channels)

    def windows(
        self, seconds: float, search_s: float = 30.0, channel: int | None = None
    ) -> Iterator[tuple[int, np.ndarray]]:
        """(first sample, samples) of consecutive windows of about ``seconds`` of one
        channel or the mix, each cut at the quietest tenth of a second in its last
        ``search_s``, so that a cut falls between words rather than inside one."""
        length = int(seconds * SAMPLE_RATE)
        search = min(int(search_s * SAMPLE_RATE), length // 2)
        start = 0
        while start < self.frames:
            end = min(start + length, self.frames)
            if end < self.frames:
                tail = self.read(end - search, search, channel)
                end = _quietest_point(tail, end - search)
            yield start, self.read(start, end - start, channel)
            start = end


def probe(path: Path) -> AudioInfo:
    """Channels, rate and declared duration of the audio stream that carries the sound."""
    try:
        with _opened(path) as container:
            return _stream_info(container, path)
    except av.error.FFmpegError as exc:
        raise BadInput(f"not an audio file ({_ffmpeg_reason(exc)})") from exc


def inspect(path: Path, max_duration_s: float) -> AudioInfo:
    """What can be told of a file from its header and its first frame of sound, in one
    opening of the file (a few milliseconds): ``_header``'s checks, and that its audio
    decodes at all. ``BadInput`` says why not, as ``decode`` would."""
    try:
        container = _opened(path)
    except av.error.FFmpegError as exc:
        raise BadInput(f"not an audio file ({_ffmpeg_reason(exc)})") from exc
    with container:
        try:
            info = _stream_info(container, path)
        except av.error.FFmpegError as exc:
            raise BadInput(f"not an audio file ({_ffmpeg_reason(exc)})") from exc
        _check_header(path, info, max_duration_s)
        try:
            decodes = _first_frame(container, info.stream)
        except av.error.FFmpegError as exc:
            raise BadInput(f"audio could not be decoded ({_ffmpeg_reason(exc)})") from exc
    if not decodes:
        raise BadInput(NOTHING_DECODED)
    return info


def _opened(path: Path) -> av.container.InputContainer:
    return av.open(str(path), mode="r", metadata_errors="ignore")


def _stream_info(container: av.container.InputContainer, path: Path) -> AudioInfo:
    streams = list(container.streams.audio)
    if not streams:
        raise BadInput("not an audio file (no audio stream)")
    index = _loudest_stream(path, len(streams)) if len(streams) > 1 else 0
    stream = streams[index]
    declared: float | None = None
    if _streamed_wav(path):
        declared = None  # written to a pipe: the header cannot know the length
    elif stream.duration is not None and stream.time_base is not None:
        declared = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        declared = container.duration / av.time_base
    return AudioInfo(
        channels=stream.codec_context.channels or 0,
        sample_rate=stream.codec_context.sample_rate or 0,
        declared_duration_s=declared,
        stream=index,
        streams=len(streams),
        layout=stream.codec_context.layout.name,
    )


def _first_frame(container: av.container.InputContainer, stream: int) -> bool:
    """Whether a frame of the stream decodes (invalid frames skipped, as decoding skips
    them)."""
    frames = container.decode(audio=stream)
    while True:
        try:
            next(frames)
        except StopIteration:
            return False
        except av.error.InvalidDataError:
            continue
        return True


def _header(path: Path, max_duration_s: float) -> AudioInfo:
    """That the file holds an audio stream, declares no more than ``max_duration_s`` and
    has a WAV header that does not claim more than the file holds."""
    info = probe(path)
    _check_header(path, info, max_duration_s)
    return info


def _check_header(path: Path, info: AudioInfo, max_duration_s: float) -> None:
    if info.declared_duration_s and info.declared_duration_s > max_duration_s:
        raise BadInput(_too_long(f"{_minutes(info.declared_duration_s)} declared", max_duration_s))
    _check_riff_size(path)


def decode(path: Path, max_duration_s: float) -> DecodedAudio:
    """The audio stream at 16 kHz, every channel kept (up to eight; more are mixed to
    one), and which channels carry a speaker each."""
    from mumu.transcription.channels import speaker_channels

    info = _header(path, max_duration_s)
    layout = info.layout if 1 < info.channels <= MAX_CHANNELS else "mono"
    channels = av.AudioLayout(layout).nb_channels
    max_frames = int(max_duration_s * SAMPLE_RATE)
    handle = _samples_file()
    target = Path(handle.name)
    try:
        with handle:
            frames = 0
            try:
                for chunk in _pcm16(path, info.stream, layout=layout):
                    frames += chunk.size // channels
                    if frames > max_frames:
                        raise BadInput(_too_long("more audio than declared", max_duration_s))
                    handle.write(chunk.astype("<i2", copy=False).tobytes())
            except av.error.FFmpegError as exc:
                raise BadInput(f"audio could not be decoded ({_ffmpeg_reason(exc)})") from exc
        if frames == 0:
            raise BadInput(NOTHING_DECODED)
        declared = info.declared_duration_s
        if declared and frames / SAMPLE_RATE < declared * TRUNCATION_TOLERANCE:
            raise BadInput(
                f"truncated file: decoded {frames / SAMPLE_RATE:.1f} s of {declared:.1f} s declared"
            )
    except BaseException:
        _remove(target)
        raise
    decoded = DecodedAudio(info, target, frames, channels)
    decoded.speaker_channels = speaker_channels(decoded)
    return decoded


def _pcm16(
    path: Path, stream: int, limit_s: float | None = None, layout: str = "mono"
) -> Generator[np.ndarray, None, None]:
    """16 kHz signed 16-bit samples in ``layout``, chunk by chunk, channels interleaved;
    invalid frames are skipped."""
    resampler = av.AudioResampler(format="s16", layout=layout, rate=SAMPLE_RATE)
    decoded = 0
    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        frames = container.decode(audio=stream)
        while limit_s is None or decoded < limit_s * SAMPLE_RATE:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except av.error.InvalidDataError:
                continue
            for resampled in resampler.resample(frame):
                chunk = resampled.to_ndarray().reshape(-1)
                decoded += chunk.size
                yield chunk
        for resampled in resampler.resample(None):
            yield resampled.to_ndarray().reshape(-1)


def _loudest_stream(path: Path, count: int) -> int:
    """Of several audio streams, the one with the most sound in its first seconds (a
    recorder may put silence or a beep first); the first when none has any."""
    levels = []
    for index in range(count):
        try:
            chunks = list(_pcm16(path, index, limit_s=PROBE_SECONDS))
        except av.error.FFmpegError:
            chunks = []
        pcm = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(1, np.float32)
        levels.append(float(np.sqrt(np.mean(pcm**2))))
    return int(np.argmax(levels))


def _quietest_point(tail: np.ndarray, offset: int) -> int:
    frame = SAMPLE_RATE // 10
    usable = len(tail) // frame * frame
    if usable == 0:
        return offset + len(tail)
    energy = np.square(tail[:usable]).reshape(-1, frame).mean(axis=1)
    return offset + int(np.argmin(energy)) * frame + frame // 2


def _riff_header(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(12)


def _streamed_wav(path: Path) -> bool:
    """A WAV written to a pipe (ffmpeg, sox) has 0 or 0xFFFFFFFF where its size goes."""
    header = _riff_header(path)
    is_wav = len(header) == 12 and header[:4] == b"RIFF" and header[8:12] == b"WAVE"
    return is_wav and int.from_bytes(header[4:8], "little") in STREAMED_RIFF_SIZES


def _check_riff_size(path: Path) -> None:
    """WAV headers state their size; FFmpeg silently shortens a cut-off file, so check it."""
    header = _riff_header(path)
    if len(header) == 12 and header[:4] == b"RIFF" and header[8:12] == b"WAVE":
        size_field = int.from_bytes(header[4:8], "little")
        if size_field in STREAMED_RIFF_SIZES:
            return
        actual_size = path.stat().st_size
        if actual_size < size_field + 8:
            raise BadInput(
                f"truncated file: {actual_size} of {size_field + 8} bytes the WAV header declares"
            )


def _samples_file() -> IO[bytes]:
    """A file of samples that outlives its handle: ``DecodedAudio`` removes it."""
    return tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by the caller, kept after
        prefix="mumu-pcm-", suffix=".s16", delete=False
    )


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


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
