"""Readiness checks: can this machine process a recording right now?"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import httpx
from sqlalchemy import text

from mumu.db.engine import check_schema, get_engine
from mumu.db.reading import DatabaseUnavailable, describe_db_error
from mumu.errors import ConfigurationError, one_line
from mumu.intake.download import redact_url
from mumu.settings import Settings
from mumu.transcription.packaged_models import PACKAGED, PackagedModel, installed, joined
from mumu.transcription.whisper import resolve_model


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def database(settings: Settings) -> Check:
    """Reachable, with the schema this code reads: the sidecar never migrates it."""
    url = settings.database.url_value
    try:
        with get_engine(url).connect() as connection:
            connection.execute(text("SELECT 1"))
        check_schema(url)
    except DatabaseUnavailable as exc:
        return Check("database", False, str(exc))
    except Exception as exc:  # noqa: BLE001 - the reason is the check's answer
        return Check("database", False, describe_db_error(url, exc))
    return Check("database", True, "reachable, schema current")


def prefect_api(api_url: str | None) -> Check:
    if not api_url:
        return Check("prefect_api", True, "not configured: flows use a temporary local API")
    try:
        response = httpx.get(f"{api_url.rstrip('/')}/health", timeout=3)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        reason = one_line(str(exc).replace(api_url, redact_url(api_url)))
        return Check("prefect_api", False, f"{redact_url(api_url)} unreachable: {reason}")
    return Check("prefect_api", True, f"{redact_url(api_url)} healthy")


def whisper_model(settings: Settings) -> Check:
    packaged = PACKAGED.get(settings.whisper_model)
    if packaged is not None:
        return _packaged(packaged, settings)
    resolved = resolve_model(settings.whisper_model, settings.models_dir)
    path = Path(resolved)
    if path.is_dir():
        if (path / "model.bin").is_file():
            return Check("whisper_model", True, f"{settings.whisper_model} at {path}")
        return Check("whisper_model", False, f"{path} has no model.bin")
    cached = list(
        settings.models_dir.glob(f"models--*--faster-whisper-{resolved}/snapshots/*/model.bin")
    )
    if cached:
        return Check("whisper_model", True, f"{resolved} cached in {settings.models_dir}")
    return Check(
        "whisper_model", False, f"{resolved} is not downloaded under {settings.models_dir}"
    )


def _packaged(model: PackagedModel, settings: Settings) -> Check:
    """Readiness without side effects: joining the parts is the first run's work."""
    ready = joined(model, settings.models_dir)
    if ready is not None:
        return Check("whisper_model", True, f"{model.name} at {ready}")
    try:
        installed(model)
    except ConfigurationError as exc:
        return Check("whisper_model", False, str(exc))
    return Check("whisper_model", True, f"{model.name} installed, joined on first use")


def gpu(settings: Settings) -> Check:
    if settings.whisper_device != "cuda":
        return Check("gpu", True, f"not required (device {settings.whisper_device})")
    count = ctranslate2.get_cuda_device_count()
    if count == 0:
        return Check("gpu", False, "device is cuda but no CUDA device is visible")
    return Check("gpu", True, f"{count} CUDA device(s)")


def run_all(settings: Settings, api_url: str | None) -> list[Check]:
    return [database(settings), prefect_api(api_url), whisper_model(settings), gpu(settings)]
