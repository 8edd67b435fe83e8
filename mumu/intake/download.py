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
import ssl
import tempfile
import time
from pathlib import Path
from typing import IO
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from mumu.deadline import transport_until
from mumu.errors import BadInput
from mumu.setting_groups import IntakeConfig
from mumu.transcription.sniff import SNIFF_BYTES, looks_like_audio

MAX_REDIRECTS = 5
AUDIO_CONTENT_TYPES = ("audio/", "video/", "application/octet-stream", "application/ogg")


def is_url(source: str) -> bool:
    return urlsplit(source).scheme.lower() in ("http", "https")


def fetch(url: str, intake: IntakeConfig, transport: httpx.BaseTransport | None = None) -> Path:
    """The URL's recording in a file of its own under the downloads folder; ``transport``
    is httpx's (the tests hand one in; by default, the network)."""
    folder = intake.downloads_dir
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(urlsplit(url).path).suffix[:10]
    with tempfile.NamedTemporaryFile(dir=folder, suffix=suffix, delete=False) as handle:
        path = Path(handle.name)
        try:
            _download(handle, url, intake, transport)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return path


def discard(path: Path, intake: IntakeConfig) -> None:
    """Remove a downloaded copy (and only a downloaded copy)."""
    if path.parent == intake.downloads_dir:
        path.unlink(missing_ok=True)


def check_address(url: str, intake: IntakeConfig) -> str | None:
    """Refuse schemes other than http(s) and hosts on non-public addresses.

    Returns the address the connection must go to (None when private addresses are
    allowed): connecting by name would resolve it again, and a name can answer a public
    address to the check and a private one to the connection (DNS rebinding).
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadInput(
            f"refused URL: only http and https URLs with a host are accepted: {redact_url(url)}"
        )
    if intake.allow_private_urls:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 0, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise BadInput(
            f"download failed: cannot resolve {parts.hostname} ({exc.strerror})"
        ) from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if not address.is_global or address.is_multicast:
            raise BadInput(
                f"refused URL: {parts.hostname} resolves to a non-public address ({address}); "
                "set MUMU_ALLOW_PRIVATE_URLS=true to allow it"
            )
    return str(addresses[0])


def _download(
    handle: IO[bytes], url: str, intake: IntakeConfig, transport: httpx.BaseTransport | None
) -> None:
    deadline = time.monotonic() + intake.download_deadline_s
    with httpx.Client(
        timeout=intake.download_timeout_s,
        follow_redirects=False,
        transport=transport or transport_until(deadline),
    ) as client:
        for _ in range(MAX_REDIRECTS + 1):
            request = _pinned(client, url, check_address(url, intake))
            try:
                response = client.send(request, stream=True)
                try:
                    if response.is_redirect:
                        url = urljoin(url, response.headers["Location"])
                        continue
                    _save(handle, response, url, intake, deadline)
                    return
                finally:
                    response.close()
            except httpx.TimeoutException:
                # Not retried: each try could take the whole deadline again.
                if time.monotonic() < deadline:
                    raise BadInput(
                        f"download failed: {_host(url)} sent nothing for "
                        f"{intake.download_timeout_s:g} s"
                    ) from None
                raise BadInput(
                    f"download too slow: not done after {intake.download_deadline_s:g} s"
                ) from None
            except httpx.ConnectError as exc:
                if not _tls_failed(exc):
                    raise  # refused or unreachable: worth another try
                raise BadInput(
                    f"download refused: no TLS connection with {_host(url)} could be made"
                ) from None
    raise BadInput(f"download refused: more than {MAX_REDIRECTS} redirects")


def _pinned(client: httpx.Client, url: str, address: str | None) -> httpx.Request:
    """A GET of ``url`` that connects to ``address``, still naming the host to the server
    (Host header) and to TLS (SNI and certificate checks)."""
    if address is None:
        return client.build_request("GET", url)
    parsed = httpx.URL(url)
    host = f"[{address}]" if ":" in address else address
    return client.build_request(
        "GET",
        parsed.copy_with(host=host.strip("[]")),
        headers={"Host": parsed.netloc.decode("ascii").rsplit("@", 1)[-1]},
        extensions={"sni_hostname": parsed.host},
    )


def _save(
    handle: IO[bytes], response: httpx.Response, url: str, intake: IntakeConfig, deadline: float
) -> None:
    if 400 <= response.status_code < 500:
        raise BadInput(f"download refused: HTTP {response.status_code} from {redact_url(url)}")
    if response.status_code >= 500:  # worth a retry; httpx's own error would name the URL whole
        raise ConnectionError(
            f"download failed: HTTP {response.status_code} from {redact_url(url)}"
        )
    content_type = response.headers.get("Content-Type", "application/octet-stream").lower()
    if not content_type.startswith(AUDIO_CONTENT_TYPES):
        raise BadInput(f"not audio: the server sent {content_type.split(';')[0]}")
    declared = int(response.headers.get("Content-Length") or 0)
    if declared > intake.max_file_size:
        raise BadInput(_too_large(declared, intake))
    received = 0
    head = b""
    started = time.monotonic()
    for chunk in response.iter_bytes():  # as it arrives, so the pace is checked as it goes
        _check_pace(received, started, deadline, intake)
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
            if len(head) >= SNIFF_BYTES and not looks_like_audio(head):
                raise BadInput("not audio: the download does not start like an audio file")
        received += len(chunk)
        if received > intake.max_file_size:
            raise BadInput(_too_large(received, intake))
        handle.write(chunk)
    if not looks_like_audio(head):
        raise BadInput("not audio: the download does not start like an audio file")


def _check_pace(received: int, started: float, deadline: float, intake: IntakeConfig) -> None:
    now = time.monotonic()
    if now > deadline:
        raise BadInput(
            f"download too slow: not done after {intake.download_deadline_s:g} s ({received} bytes)"
        )
    elapsed = now - started
    if elapsed >= intake.download_timeout_s and received / elapsed < intake.download_min_rate:
        raise BadInput(
            f"download too slow: {received / elapsed / 1024:.1f} KiB/s is under the minimum "
            f"of {intake.download_min_rate / 1024:g} KiB/s"
        )


def redact_url(url: str) -> str:
    """The URL to store and show: its password and query values replaced.

    User names stay (they say whose), the path stays (it says what); a password or a
    token in the query is for fetching only.
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    query = "&".join(
        f"{pair.split('=', 1)[0]}=***" if "=" in pair else pair
        for pair in parts.query.split("&")
        if pair
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _too_large(size: int, intake: IntakeConfig) -> str:
    return f"too large: over the {intake.max_file_size.human_readable()} limit ({size} bytes)"


def _host(url: str) -> str:
    return urlsplit(url).hostname or "the server"


def _tls_failed(exc: BaseException) -> bool:
    """Whether a connection failed in its TLS handshake (a server that does not speak
    TLS, or a certificate that does not hold): another try gets the same."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
