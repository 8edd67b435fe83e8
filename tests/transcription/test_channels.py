import numpy as np
import pytest

from mumu.transcription.audio import DecodedAudio, decode
from mumu.transcription.channels import louder_elsewhere, speaker_channels
from tests.conftest import DATA_DIR


@pytest.fixture(scope="module")
def voices() -> tuple[np.ndarray, np.ndarray]:
    """The two speakers of the stereo file, as separate mono signals."""
    decoded = decode(DATA_DIR / "stereo_diarization.wav", 60)
    return decoded.read(0, decoded.frames, 0), decoded.read(0, decoded.frames, 1)


def stereo(left: np.ndarray, right: np.ndarray) -> DecodedAudio:
    return DecodedAudio.from_samples(np.stack([left, right], axis=1))


def test_a_speaker_per_channel_is_found_though_they_talk_at_once() -> None:
    decoded = decode(DATA_DIR / "stereo_diarization.wav", 60)
    assert decoded.channels == 2
    assert decoded.speaker_channels == (0, 1)


@pytest.mark.parametrize("name", ["jfk.flac", "hotwords.mp3"])
def test_the_shared_dual_mono_files_are_one_mix(name: str) -> None:
    decoded = decode(DATA_DIR / name, 60)
    assert (decoded.channels, decoded.speaker_channels) == (2, ())


def test_the_same_sound_on_both_channels_is_one_mix(voices: tuple[np.ndarray, np.ndarray]) -> None:
    first, _ = voices
    assert speaker_channels(stereo(first, first)) == ()


def test_a_stereo_microphone_is_one_mix(voices: tuple[np.ndarray, np.ndarray]) -> None:
    """The second microphone hears the room a millisecond later and quieter."""
    first, second = voices
    room = first + 0.5 * second
    late = np.concatenate([np.zeros(16, np.float32), room[:-16]]) * 0.7
    assert speaker_channels(stereo(room, late)) == ()


def test_a_silent_or_hissing_channel_is_no_speaker(voices: tuple[np.ndarray, np.ndarray]) -> None:
    first, _ = voices
    assert speaker_channels(stereo(first, np.zeros_like(first))) == ()
    hiss = np.random.default_rng(1).normal(0, 0.001, len(first)).astype(np.float32)
    assert speaker_channels(stereo(first, hiss)) == ()


def test_a_speaker_leaking_into_the_other_channel_is_heard_louder_on_their_own(
    voices: tuple[np.ndarray, np.ndarray],
) -> None:
    """An echo on a phone line: each channel holds a tenth of the other speaker."""
    first, second = voices
    decoded = stereo(first + 0.1 * second, second + 0.1 * first)
    assert decoded.speaker_channels == ()  # from_samples does not decide; decode does
    decoded.speaker_channels = speaker_channels(decoded)
    assert decoded.speaker_channels == (0, 1)
    assert louder_elsewhere(decoded, 1, 2.7, 4.5) == 0  # only the first speaker then
    assert louder_elsewhere(decoded, 0, 2.7, 4.5) is None
    assert louder_elsewhere(decoded, 1, 0.5, 2.0) is None  # both speak


def test_a_quiet_speaker_talking_over_a_loud_one_is_no_crosstalk(
    voices: tuple[np.ndarray, np.ndarray],
) -> None:
    """A headset against a phone line: the second speaker 16 dB quieter, at once."""
    first, second = voices
    decoded = stereo(first, 0.15 * second)
    decoded.speaker_channels = speaker_channels(decoded)
    assert decoded.speaker_channels == (0, 1)
    assert louder_elsewhere(decoded, 1, 0.3, 2.4) is None


def test_channels_read_apart_and_mixed(voices: tuple[np.ndarray, np.ndarray]) -> None:
    first, second = voices
    decoded = stereo(first, second)
    span = decoded.frames
    mix = decoded.read(0, span)
    assert np.allclose(mix, (first[:span] + second[:span]) / 2, atol=1e-4)
    alone = [decoded.read(0, span, channel) for channel in (0, 1)]
    assert np.allclose(alone[1], second[:span] / 2, atol=1e-4), "as loud as in the mix"
    assert np.allclose(alone[0] + alone[1], mix, atol=1e-4)
