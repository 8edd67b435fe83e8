"""Recordings given as http(s) URLs: checked, then streamed to a local file before ingest.

A URL is a request mumu makes on someone's behalf, so it is treated as hostile: only
http and https; every host (and every redirect's host) must resolve to public addresses
unless private ones are explicitly allowed (server-side request forgery); a size cap and
a timeout; the content type must be one audio can come as, and the first bytes must
look like an audio container. The file lands under ``$MUMU_HOME/downloads`` and is
removed when its flow run ends; the recording keeps the URL as its source and, as
always, its content hash as identity. A refused response (4xx) or a failed check is the
input's fault; a server error or a timeout may pass, and is left to the task's retries.
"""

from __future__ import annotations

import ipaddress
import socket
import tempfile
from pathlib import Path
from typing import IO
from urllib.parse import urljoin, urlsplit

import httpx

from mumu.errors import BadInput
from mumu.settings import Settings
from mumu.sniff import SNIFF_BYTES, looks_like_audio

CHUNK_BYTES = 1 << 20
MAX_REDIRECTS = 5
AUDIO_CONTENT_TYPES = ("audio/", "video/", "application/octet-stream", "application/ogg")


def is_url(source: str) -> bool:
    return urlsplit(source).scheme.lower() in ("http", "https")


def fetch(url: str, settings: Settings) -> Path:
    folder = settings.home_dir / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(urlsplit(url).path).suffix[:10]
    with tempfile.NamedTemporaryFile(dir=folder, suffix=suffix, delete=False) as handle:
        path = Path(handle.name)
        try:
            _download(handle, url, settings)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return path


def discard(path: Path, settings: Settings) -> None:
    """Remove a downloaded copy (and only a downloaded copy)."""
    if path.parent == settings.home_dir / "downloads":
        path.unlink(missing_ok=True)


def check_address(url: str, settings: Settings) -> None:
    """Refuse schemes other than http(s) and hosts on non-public addresses."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadInput(f"refused URL: only http and https URLs with a host are accepted: {url}")
    if settings.allow_private_urls:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 0, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise BadInput(
            f"download failed: cannot resolve {parts.hostname} ({exc.strerror})"
        ) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise BadInput(
                f"refused URL: {parts.hostname} resolves to a non-public address ({address}); "
                "set MUMU_ALLOW_PRIVATE_URLS=true to allow it"
            )


def _download(handle: IO[bytes], url: str, settings: Settings) -> None:
    with httpx.Client(timeout=settings.download_timeout_s, follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            check_address(url, settings)
            with client.stream("GET", url) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers["Location"])
                    continue
                _save(handle, response, url, settings)
                return
    raise BadInput(f"download refused: more than {MAX_REDIRECTS} redirects")


def _save(handle: IO[bytes], response: httpx.Response, url: str, settings: Settings) -> None:
    if 400 <= response.status_code < 500:
        raise BadInput(f"download refused: HTTP {response.status_code} from {url}")
    response.raise_for_status()
    content_type = response.headers.get("Content-Type", "application/octet-stream").lower()
    if not content_type.startswith(AUDIO_CONTENT_TYPES):
        raise BadInput(f"not audio: the server sent {content_type.split(';')[0]}")
    declared = int(response.headers.get("Content-Length") or 0)
    if declared > settings.max_file_size:
        raise BadInput(_too_large(declared, settings))
    received = 0
    head = b""
    for chunk in response.iter_bytes(CHUNK_BYTES):
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
            if len(head) >= SNIFF_BYTES and not looks_like_audio(head):
                raise BadInput("not audio: the download does not start like an audio file")
        received += len(chunk)
        if received > settings.max_file_size:
            raise BadInput(_too_large(received, settings))
        handle.write(chunk)
    if not looks_like_audio(head):
        raise BadInput("not audio: the download does not start like an audio file")


def _too_large(size: int, settings: Settings) -> str:
    return f"too large: over the {settings.max_file_size.human_readable()} limit ({size} bytes)"
