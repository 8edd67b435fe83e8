import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ByteSize

from mumu.errors import BadInput
from mumu.intake.download import check_address, discard, fetch, is_url, redact_url
from mumu.settings import Settings
from tests.conftest import DATA_DIR
from tests.dripping import dripping


@pytest.fixture
def home_settings(tmp_path: Path) -> Settings:
    """Settings that allow the loopback test server."""
    return Settings(home=tmp_path, allow_private_urls=True)


def test_urls_are_recognised() -> None:
    assert is_url("https://example.com/a.mp3")
    assert is_url("HTTP://example.com/a.mp3")
    assert not is_url("/data/a.mp3")
    assert not is_url("file:///data/a.mp3")


def test_a_url_is_fetched_whole_and_discarded_after(
    audio_server: str, home_settings: Settings
) -> None:
    path = fetch(f"{audio_server}/jfk.flac", home_settings.intake)
    assert path.read_bytes() == (DATA_DIR / "jfk.flac").read_bytes()
    assert path.suffix == ".flac"
    discard(path, home_settings.intake)
    assert not path.exists()


def test_a_missing_url_is_bad_input_and_leaves_nothing(
    audio_server: str, home_settings: Settings
) -> None:
    with pytest.raises(BadInput, match="download refused: HTTP 404"):
        fetch(f"{audio_server}/nope.mp3", home_settings.intake)
    assert list((home_settings.home_dir / "downloads").iterdir()) == []


def test_a_download_over_the_cap_is_refused(audio_server: str, tmp_path: Path) -> None:
    small = Settings(home=tmp_path, allow_private_urls=True, max_file_size=ByteSize(1000))
    with pytest.raises(BadInput, match="too large: over the 1000B limit"):
        fetch(f"{audio_server}/jfk.flac", small.intake)
    assert list((tmp_path / "downloads").iterdir()) == []


def test_content_that_is_not_audio_is_refused(audio_server: str, home_settings: Settings) -> None:
    with pytest.raises(BadInput, match="not audio: the server sent text/markdown"):
        fetch(f"{audio_server}/README.md", home_settings.intake)
    with pytest.raises(BadInput, match="does not start like an audio file"):
        fetch(f"{audio_server}/disguised.mp3", home_settings.intake)
    assert list((home_settings.home_dir / "downloads").iterdir()) == []


@pytest.mark.slow
def test_a_server_that_never_answers_is_one_line_by_its_timeout(tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = Settings(home=tmp_path, allow_private_urls=True, download_timeout_s=1)
        started = time.monotonic()
        with pytest.raises(BadInput, match="127.0.0.1 sent nothing for 1 s"):
            fetch(f"http://127.0.0.1:{silent.getsockname()[1]}/a.mp3", settings.intake)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/a.mp3",
        "http://localhost:8080/a.mp3",
        "http://10.1.2.3/a.mp3",
        "http://192.168.0.10/a.mp3",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/a.mp3",
        "http://[fe80::1]/a.mp3",
        "http://0.0.0.0/a.mp3",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="non-public address"):
        check_address(url, Settings(home=tmp_path).intake)


def test_a_name_resolving_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def resolve(host: str, *_args: object, **_kwargs: object) -> list[tuple[object, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(BadInput, match=r"recordings\.example resolves to a non-public"):
        check_address("https://recordings.example/a.mp3", Settings(home=tmp_path).intake)


@pytest.mark.parametrize("url", ["ftp://example.com/a.mp3", "file:///etc/passwd", "http:///a"])
def test_only_http_and_https_with_a_host(url: str, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="only http and https"):
        check_address(url, Settings(home=tmp_path).intake)


def test_public_addresses_pass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def resolve(host: str, *_args: object, **_kwargs: object) -> list[tuple[object, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    check_address("https://recordings.example/a.mp3", Settings(home=tmp_path).intake)


class Counting(BaseHTTPRequestHandler):
    """Serves jfk.flac, a byte at a time when asked to drip; counts what it answered."""

    answered = 0

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        type(self).answered += 1
        data = (DATA_DIR / "jfk.flac").read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "audio/flac")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.path.startswith("/drip"):
            for offset in range(0, len(data), 1024):
                self.wfile.write(data[offset : offset + 1024])
                self.wfile.flush()
                time.sleep(0.5)
        else:
            self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def counting_server() -> Iterator[int]:
    Counting.answered = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_a_name_that_rebinds_to_loopback_after_the_check_is_not_fetched_from_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, counting_server: int
) -> None:
    """The check sees a public address; a second lookup would say 127.0.0.1."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.example":
            return real(host, *args, **kwargs)
        lookups.append(host)
        address = "93.184.215.14" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    settings = Settings(home=tmp_path, download_timeout_s=2)
    with pytest.raises(httpx.HTTPError):
        fetch(f"http://rebind.example:{counting_server}/jfk.flac", settings.intake)
    assert Counting.answered == 0, "the connection went to the address that was checked"
    assert lookups == ["rebind.example"]


@pytest.mark.slow
def test_a_server_that_drips_bytes_cannot_hold_a_worker(
    tmp_path: Path, counting_server: int
) -> None:
    url = f"http://127.0.0.1:{counting_server}/drip.flac"
    slow = Settings(home=tmp_path, allow_private_urls=True, download_timeout_s=1)
    started = time.monotonic()
    with pytest.raises(BadInput, match=r"download too slow: [\d.]+ KiB/s is under the minimum"):
        fetch(url, slow.intake)
    late = Settings(
        home=tmp_path,
        allow_private_urls=True,
        download_deadline_s=2,
        download_min_rate=ByteSize(0),
    )
    with pytest.raises(BadInput, match="download too slow: not done after 2 s"):
        fetch(url, late.intake)
    assert time.monotonic() - started < 10
    assert list((tmp_path / "downloads").iterdir()) == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://ann:pa55@host.example/a.mp3?token=abc&x=1",
            "https://ann:***@host.example/a.mp3?token=***&x=***",
        ),
        ("https://host.example/a.mp3", "https://host.example/a.mp3"),
        ("http://ann@host.example:8080/a.mp3#part", "http://ann@host.example:8080/a.mp3"),
    ],
)
def test_urls_are_shown_without_their_secrets(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_discard_only_touches_downloads(home_settings: Settings, tmp_path: Path) -> None:
    keep = tmp_path / "mine.wav"
    keep.write_bytes(b"x")
    discard(keep, home_settings.intake)
    assert keep.exists()


def test_a_server_error_is_retryable_and_says_the_url_without_its_token(
    home_settings: Settings,
) -> None:
    class Failing(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://ann:pw5ecret@127.0.0.1:{server.server_address[1]}/a.mp3?X-Sig=t0ken"
    try:
        with pytest.raises(ConnectionError) as caught:
            fetch(url, home_settings.intake)
    finally:
        server.shutdown()
        server.server_close()
    assert "download failed: HTTP 503" in str(caught.value)
    assert "t0ken" not in str(caught.value) and "pw5ecret" not in str(caught.value)


PUBLIC = "93.184.216.34"  # an address literal: check_address resolves it without DNS


def test_a_redirect_to_a_private_address_is_refused_before_it_is_requested(
    tmp_path: Path,
) -> None:
    asked: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/"})

    with pytest.raises(BadInput, match="non-public address"):
        fetch(
            f"http://{PUBLIC}/a.flac", Settings(home=tmp_path).intake, httpx.MockTransport(server)
        )
    assert [str(request.url) for request in asked] == [f"http://{PUBLIC}/a.flac"]
    assert list((tmp_path / "downloads").iterdir()) == []


def test_an_endless_chain_of_redirects_is_refused(tmp_path: Path) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": f"/hop{len(request.url.path)}"})

    with pytest.raises(BadInput, match="more than 5 redirects"):
        fetch(
            f"http://{PUBLIC}/a.flac", Settings(home=tmp_path).intake, httpx.MockTransport(server)
        )


def test_a_redirected_download_is_saved_from_where_it_ends(tmp_path: Path) -> None:
    audio = (DATA_DIR / "jfk.flac").read_bytes()

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/share/abc":
            return httpx.Response(301, headers={"Location": "/files/jfk.flac"})
        return httpx.Response(200, content=audio, headers={"Content-Type": "audio/flac"})

    path = fetch(
        f"http://{PUBLIC}/share/abc", Settings(home=tmp_path).intake, httpx.MockTransport(server)
    )
    assert path.read_bytes() == audio and path.parent == tmp_path / "downloads"


def test_a_server_that_drips_its_headers_is_given_up_by_the_deadline(tmp_path: Path) -> None:
    """Each byte comes well within the read timeout; the deadline bounds the exchange."""
    settings = Settings(
        home=tmp_path, allow_private_urls=True, download_timeout_s=1, download_deadline_s=2
    )
    with dripping(every_s=0.2) as url:
        started = time.monotonic()
        with pytest.raises(BadInput, match="download too slow: not done after 2 s"):
            fetch(f"{url}/call.flac", settings.intake)
    assert time.monotonic() - started < 3.5
    assert list((tmp_path / "downloads").iterdir()) == []


def test_a_server_that_stalls_or_does_not_speak_tls_is_refused_at_once_not_retried(
    tmp_path: Path,
) -> None:
    """Retrying either would take the whole deadline again, each time."""
    settings = Settings(
        home=tmp_path, allow_private_urls=True, download_timeout_s=1, download_deadline_s=30
    )
    with dripping(every_s=60) as url:  # accepts, reads the request, says nothing
        started = time.monotonic()
        with pytest.raises(BadInput, match="sent nothing for 1 s"):
            fetch(f"{url}/call.flac", settings.intake)
        assert time.monotonic() - started < 5
    no_tls = "no TLS connection with 127.0.0.1 could be made"
    with dripping(every_s=0) as url, pytest.raises(BadInput, match=no_tls):  # plain HTTP at once
        fetch(url.replace("http://", "https://") + "/call.flac", settings.intake)
