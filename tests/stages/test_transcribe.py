import numpy as np
import pytest

from mumu.audio import decode
from mumu.bench import word_error_rate
from mumu.settings import Settings
from mumu.stages.transcribe import transcribe
from tests.conftest import DATA_DIR, REFERENCES


@pytest.fixture(scope="module")
def default_settings() -> Settings:
    return Settings()


def test_jfk_with_tiny_en_is_accurate(default_settings: Settings) -> None:
    result = transcribe(decode(DATA_DIR / "jfk.flac", 3600).samples, default_settings)
    assert word_error_rate(REFERENCES["jfk.flac"]["text"], result.text) < 0.1
    assert result.language == "en"
    assert result.options.model == "tiny.en"


def test_english_licence_text_is_transcribed(default_settings: Settings) -> None:
    """The file's first half is English, the second German, beyond an English-only model."""
    result = transcribe(decode(DATA_DIR / "multilingual.mp3", 3600).samples, default_settings)
    english = " ".join(segment.text for segment in result.segments if segment.end <= 30.0)
    assert word_error_rate(REFERENCES["multilingual.mp3"]["text_en"], english) < 0.2


def test_segments_carry_timing_scores_and_ordered_words(default_settings: Settings) -> None:
    result = transcribe(decode(DATA_DIR / "jfk.flac", 3600).samples, default_settings)
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
    result = transcribe(silence, default_settings)
    assert result.text == ""
    assert result.segments == []


def test_sequential_decoding_is_a_setting(default_settings: Settings) -> None:
    assert default_settings.whisper_batch_size == 8
    sequential = default_settings.model_copy(update={"whisper_batch_size": 1})
    result = transcribe(decode(DATA_DIR / "jfk.flac", 3600).samples, sequential)
    assert word_error_rate(REFERENCES["jfk.flac"]["text"], result.text) < 0.1
    assert "batch=1" in result.options.key
