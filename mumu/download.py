"""Recordings given as http(s) URLs: streamed to a local file before ingest.

The file lands under ``$MUMU_HOME/downloads`` and is removed when its flow run ends;
the recording keeps the URL as its source and, as always, its content hash as identity.
A response that is refused (4xx) is the input's fault; a server error or a timeout may
pass, and is left to the task's retries.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import httpx

from mumu.errors import BadInput
from mumu.settings import Settings

CHUNK_BYTES = 1 << 20


def is_url(source: str) -> bool:
    return urlsplit(source).scheme.lower() in ("http", "https")


def fetch(url: str, settings: Settings) -> Path:
    folder = settings.home_dir / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(urlsplit(url).path).suffix[:10]
    with tempfile.NamedTemporaryFile(dir=folder, suffix=suffix, delete=False) as handle:
        path = Path(handle.name)
        try:
            _stream_into(handle, url, settings)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return path


def _stream_into(handle: IO[bytes], url: str, settings: Settings) -> None:
    with httpx.stream(
        "GET", url, timeout=settings.download_timeout_s, follow_redirects=True
    ) as response:
        if 400 <= response.status_code < 500:
            raise BadInput(f"download refused: HTTP {response.status_code} from {url}")
        response.raise_for_status()
        declared = int(response.headers.get("Content-Length") or 0)
        if declared > settings.max_download_bytes:
            raise BadInput(_too_large(declared, settings))
        received = 0
        for chunk in response.iter_bytes(CHUNK_BYTES):
            received += len(chunk)
            if received > settings.max_download_bytes:
                raise BadInput(_too_large(received, settings))
            handle.write(chunk)


def discard(path: Path, settings: Settings) -> None:
    """Remove a downloaded copy (and only a downloaded copy)."""
    if path.parent == settings.home_dir / "downloads":
        path.unlink(missing_ok=True)


def _too_large(size: int, settings: Settings) -> str:
    return f"download too large: over {settings.max_download_bytes} bytes (got {size})"
