from pathlib import Path

import pytest

from mumu.audio import SAMPLE_RATE, decode
from mumu.errors import BadInput
from tests.conftest import DATA_DIR, REFERENCES


@pytest.mark.parametrize("name", ["jfk.flac", "stereo_diarization.wav", "multilingual.mp3"])
def test_real_files_decode_to_16k_mono_with_their_duration(name: str) -> None:
    decoded = decode(DATA_DIR / name)
    assert decoded.samples.ndim == 1
    assert decoded.samples.dtype.name == "float32"
    assert decoded.duration_s == pytest.approx(REFERENCES[name]["duration_s"], abs=0.2)
    assert len(decoded.samples) == pytest.approx(decoded.duration_s * SAMPLE_RATE)


def test_channels_and_sample_rate_are_read_from_the_file() -> None:
    decoded = decode(DATA_DIR / "stereo_diarization.wav")
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
        decode(bad_inputs[kind])
    assert "\n" not in str(caught.value)
