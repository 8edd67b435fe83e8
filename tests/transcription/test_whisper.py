"""The Whisper model cache: one load per process, offline by default, set-up errors said."""

from pathlib import Path

import ctranslate2
import numpy as np
import pytest

from mumu.errors import ConfigurationError
from mumu.settings import Settings
from mumu.stages.transcribe import transcribe
from mumu.transcription import whisper
from mumu.transcription.audio import DecodedAudio, decode
from tests.conftest import DATA_DIR


@pytest.fixture(scope="module")
def default_settings() -> Settings:
    return Settings()


@pytest.mark.slow
def test_the_model_is_loaded_once_per_process(default_settings: Settings) -> None:
    audio = decode(DATA_DIR / "hotwords.mp3", 3600)
    transcribe(audio, default_settings.transcription)
    loads = whisper.model_loads
    for _ in range(3):
        transcribe(audio, default_settings.transcription)
    assert whisper.model_loads == loads


def test_the_bundled_model_resolves_to_a_local_directory(tmp_path: Path) -> None:
    path = Path(whisper.resolve_model("tiny.en", tmp_path))
    assert (path / "model.bin").is_file()
    assert whisper.resolve_model("large-v3", tmp_path) == "large-v3"


@pytest.mark.skipif(ctranslate2.get_cuda_device_count() > 0, reason="a GPU is visible here")
def test_a_cuda_device_without_a_gpu_is_a_configuration_error(
    default_settings: Settings,
) -> None:
    on_cuda = default_settings.model_copy(update={"whisper_device": "cuda"})
    with pytest.raises(ConfigurationError, match="sees no CUDA device.*GPU work pool"):
        transcribe(DecodedAudio.from_samples(np.zeros(16_000, np.float32)), on_cuda.transcription)


@pytest.mark.parametrize("model", ["/models/missing-ct2-dir", "./nowhere"])
def test_a_missing_model_directory_is_a_configuration_error(
    default_settings: Settings, model: str
) -> None:
    with pytest.raises(ConfigurationError, match="does not exist: mount it"):
        whisper.get_model(
            default_settings.model_copy(update={"whisper_model": model}).transcription.engine
        )


def test_a_model_directory_without_model_files_is_a_configuration_error(
    default_settings: Settings, tmp_path: Path
) -> None:
    spec = default_settings.model_copy(update={"whisper_model": str(tmp_path)}).transcription.engine
    with pytest.raises(ConfigurationError, match="cannot load Whisper model.*check the model"):
        whisper.get_model(spec)
