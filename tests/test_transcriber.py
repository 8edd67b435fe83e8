from pathlib import Path

import ctranslate2
import numpy as np
import pytest

from mumu import transcriber
from mumu.audio import decode
from mumu.bench import word_error_rate
from mumu.errors import ConfigurationError
from mumu.settings import Settings
from tests.conftest import DATA_DIR, REFERENCES


@pytest.fixture(scope="module")
def default_settings() -> Settings:
    return Settings()


def test_jfk_with_tiny_en_is_accurate(default_settings: Settings) -> None:
    result = transcriber.transcribe(decode(DATA_DIR / "jfk.flac", 3600).samples, default_settings)
    assert word_error_rate(REFERENCES["jfk.flac"]["text"], result.text) < 0.1
    assert result.language == "en"
    assert result.model == "tiny.en"


def test_english_licence_text_is_transcribed(default_settings: Settings) -> None:
    """The file's first half is English, the second German, beyond an English-only model."""
    result = transcriber.transcribe(
        decode(DATA_DIR / "multilingual.mp3", 3600).samples, default_settings
    )
    english = " ".join(segment.text for segment in result.segments if segment.end <= 30.0)
    assert word_error_rate(REFERENCES["multilingual.mp3"]["text_en"], english) < 0.2


def test_segments_carry_timing_scores_and_ordered_words(default_settings: Settings) -> None:
    result = transcriber.transcribe(decode(DATA_DIR / "jfk.flac", 3600).samples, default_settings)
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
    result = transcriber.transcribe(silence, default_settings)
    assert result.text == ""
    assert result.segments == []


def test_the_model_is_loaded_once_per_process(default_settings: Settings) -> None:
    audio = decode(DATA_DIR / "hotwords.mp3", 3600).samples
    transcriber.transcribe(audio, default_settings)
    loads = transcriber.model_loads
    for _ in range(3):
        transcriber.transcribe(audio, default_settings)
    assert transcriber.model_loads == loads


def test_sequential_decoding_is_a_setting(default_settings: Settings) -> None:
    assert default_settings.whisper_batch_size == 8
    sequential = default_settings.model_copy(update={"whisper_batch_size": 1})
    result = transcriber.transcribe(decode(DATA_DIR / "jfk.flac", 3600).samples, sequential)
    assert word_error_rate(REFERENCES["jfk.flac"]["text"], result.text) < 0.1
    assert "batch=1" in result.settings_key


def test_the_bundled_model_resolves_to_a_local_directory() -> None:
    path = Path(transcriber.resolve_model("tiny.en"))
    assert (path / "model.bin").is_file()
    assert transcriber.resolve_model("large-v3") == "large-v3"


@pytest.mark.skipif(ctranslate2.get_cuda_device_count() > 0, reason="a GPU is visible here")
def test_a_cuda_device_without_a_gpu_is_a_configuration_error(
    default_settings: Settings,
) -> None:
    on_cuda = default_settings.model_copy(update={"whisper_device": "cuda"})
    with pytest.raises(ConfigurationError, match="sees no CUDA device.*GPU work pool"):
        transcriber.transcribe(np.zeros(16_000, dtype=np.float32), on_cuda)


@pytest.mark.parametrize("model", ["/models/missing-ct2-dir", "./nowhere"])
def test_a_missing_model_directory_is_a_configuration_error(
    default_settings: Settings, model: str
) -> None:
    with pytest.raises(ConfigurationError, match="does not exist: mount it"):
        transcriber.get_model(
            transcriber.EngineSpec.from_settings(
                default_settings.model_copy(update={"whisper_model": model})
            )
        )


def test_a_model_directory_without_model_files_is_a_configuration_error(
    default_settings: Settings, tmp_path: Path
) -> None:
    spec = transcriber.EngineSpec.from_settings(
        default_settings.model_copy(update={"whisper_model": str(tmp_path)})
    )
    with pytest.raises(ConfigurationError, match="cannot load Whisper model.*check the model"):
        transcriber.get_model(spec)
