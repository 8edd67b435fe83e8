from pathlib import Path

import pytest

from mumu.errors import BadInput
from mumu.transcription.audio import SAMPLE_RATE, DecodedAudio, decode
from tests.conftest import DATA_DIR, REFERENCES


@pytest.mark.parametrize("name", ["jfk.flac", "stereo_diarization.wav", "multilingual.mp3"])
def test_real_files_decode_to_16k_mono_with_their_duration(name: str) -> None:
    decoded = decode(DATA_DIR / name, 3600)
    assert decoded.samples.ndim == 1
    assert decoded.samples.dtype.name == "float32"
    assert decoded.duration_s == pytest.approx(REFERENCES[name]["duration_s"], abs=0.2)
    assert len(decoded.samples) == pytest.approx(decoded.duration_s * SAMPLE_RATE)


def test_channels_and_sample_rate_are_read_from_the_file() -> None:
    decoded = decode(DATA_DIR / "stereo_diarization.wav", 3600)
    assert decoded.info.channels == REFERENCES["stereo_diarization.wav"]["channels"]
    assert decoded.info.sample_rate == 16_000


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("not_audio", "not an audio file"),
        ("truncated_flac", "truncated file"),
        ("truncated_wav", "truncated file"),
    ],
)
def test_bad_files_fail_with_a_clear_reason(
    bad_inputs: dict[str, Path], kind: str, message: str
) -> None:
    with pytest.raises(BadInput, match=message) as caught:
        decode(bad_inputs[kind], 3600)
    assert "\n" not in str(caught.value)


def silent_flac(path: Path, seconds: int) -> Path:
    """Digital silence compresses to almost nothing: hours of audio in a few hundred KB."""
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("flac", rate=8000, layout="mono")
        block = np.zeros((1, 8000 * 60), dtype=np.int16)
        for minute in range(seconds // 60):
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="mono")
            frame.sample_rate = 8000
            frame.pts = minute * 8000 * 60
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.mark.slow
def test_hours_declared_in_a_few_bytes_are_refused_before_decoding(tmp_path: Path) -> None:
    bomb = silent_flac(tmp_path / "bomb.flac", seconds=3 * 3600)
    assert bomb.stat().st_size < 3_000_000  # 3 h of 16 kHz PCM would be 345 MB
    with pytest.raises(BadInput, match=r"too long: 180 min declared, over the 60 min limit"):
        decode(bomb, 3600)


def test_decoding_stops_at_the_limit_when_the_header_says_less(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mumu.transcription import audio

    long_file = silent_flac(tmp_path / "long.flac", seconds=20 * 60)
    monkeypatch.setattr(
        audio,
        "probe",
        lambda _path: audio.AudioInfo(channels=1, sample_rate=8000, declared_duration_s=None),
    )
    with pytest.raises(BadInput, match="too long: more audio than declared, over the 5 min"):
        decode(long_file, 300)


def test_a_file_within_the_limit_decodes(tmp_path: Path) -> None:
    decoded = decode(silent_flac(tmp_path / "ok.flac", seconds=120), 3600)
    assert decoded.duration_s == pytest.approx(120, abs=0.1)


def test_a_wav_written_to_a_pipe_is_not_taken_for_truncated(tmp_path: Path) -> None:
    """ffmpeg and sox, writing to a pipe, put 0xFFFFFFFF (or 0) where the sizes go."""
    for marker in (b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"):
        data = bytearray((DATA_DIR / "stereo_diarization.wav").read_bytes())
        data[4:8] = marker
        data[data.index(b"data") + 4 : data.index(b"data") + 8] = marker
        streamed = tmp_path / "streamed.wav"
        streamed.write_bytes(bytes(data))
        decoded = decode(streamed, 60)
        assert decoded.duration_s == pytest.approx(5.0, abs=0.2)


def test_the_stream_that_carries_the_sound_is_the_one_decoded(tmp_path: Path) -> None:
    import av
    import numpy as np

    speech = (decode(DATA_DIR / "jfk.flac", 60).samples * 32767).astype(np.int16)
    path = tmp_path / "two-streams.mka"
    with av.open(str(path), "w") as container:
        streams = [container.add_stream("pcm_s16le", rate=SAMPLE_RATE, layout="mono")]
        streams.append(container.add_stream("pcm_s16le", rate=SAMPLE_RATE, layout="mono"))
        for stream, samples in zip(streams, (np.zeros_like(speech), speech), strict=True):
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            for packet in stream.encode(frame):
                container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
    decoded = decode(path, 60)
    assert (decoded.info.stream, decoded.info.streams) == (1, 2)
    assert float(np.abs(decoded.samples).mean()) > 0.01


def test_samples_live_on_disk_and_go_with_the_decoded_audio(tmp_path: Path) -> None:
    import gc

    decoded = decode(DATA_DIR / "jfk.flac", 60)
    stored = decoded.path
    assert stored.stat().st_size == decoded.frames * decoded.channels * 2
    del decoded
    gc.collect()
    assert not stored.exists()


def test_windows_are_cut_where_it_is_quiet() -> None:
    import numpy as np

    speech = decode(DATA_DIR / "jfk.flac", 60).samples
    gap = np.zeros(SAMPLE_RATE * 2, dtype=np.float32)
    audio = DecodedAudio.from_samples(np.concatenate([speech, gap, speech]))
    windows = list(audio.windows(seconds=14.0, search_s=3.0))
    assert len(windows) == 2
    cut = windows[1][0] / SAMPLE_RATE
    assert len(speech) / SAMPLE_RATE < cut < len(speech) / SAMPLE_RATE + 2
    assert sum(len(samples) for _, samples in windows) == audio.frames
