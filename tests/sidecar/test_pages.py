"""The page a notice's link opens: readable, escaped, locked down, and what it shows."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from mumu.access import signed_path
from mumu.settings import Settings
from mumu.sidecar.app import create_app
from mumu.text import HIDING

KEY = SecretStr("pages-test-link-key")
HOSTILE = "<script>alert(1)</script><img src=https://track.example/p.gif> \u202egnp.exe"


def linked(settings: Settings) -> tuple[TestClient, str]:
    configured = settings.model_copy(update={"link_key": KEY, "link_ttl_s": 600.0})
    return TestClient(create_app(configured, None)), signed_path(
        configured.access, "/recordings/1"
    ) or ""


def test_the_page_shows_the_notes_and_the_transcript_each_time_linking_its_line(
    stored: Engine, settings: Settings
) -> None:
    client, signed = linked(settings)
    page = client.get(signed)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for said in ("Refund", "A refund.", "Pay", "Agent", "Hello", "Hallo.", "Refund please?"):
        assert said in html, said
    anchors = set(re.findall(r'<li id="(s-\d+)"', html))
    cited = set(re.findall(r'href="#(s-\d+)"', html))
    assert cited and cited <= anchors, "every cited time links to a line of the transcript"
    assert "Languages: de, en" in html and "Speakers: Agent" in html
    assert "cites nothing" in html, "what was not kept is said"


def test_text_from_a_recording_or_an_llm_is_shown_never_obeyed(
    stored: Engine, settings: Settings
) -> None:
    with stored.begin() as connection:
        connection.execute(text("UPDATE insights SET title = :t, summary = :t"), {"t": HOSTILE})
        connection.execute(text("UPDATE segments SET text = :t WHERE idx = 0"), {"t": HOSTILE})
    client, signed = linked(settings)
    page = client.get(signed)
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe" not in csp
    style = re.search(r"<style>(.*?)</style>", page.text, re.S)
    assert style and len(style.group(1)) > 100
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp, "the page's own style, and only it, applies"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in page.text and "<img" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert not re.search(f"[{HIDING}]", page.text), "a bidi override cannot reorder what was said"


def test_the_exports_it_links_open_until_the_pages_link_expires(
    stored: Engine, settings: Settings
) -> None:
    client, signed = linked(settings)
    expires = parse_qs(urlsplit(signed).query)["expires"][0]
    exports = re.findall(r'<a href="([^"]+)">(\w+)</a>', client.get(signed).text)
    assert {name for _, name in exports} == {"txt", "srt", "vtt", "json", "notes"}
    for href, _ in exports:
        href = href.replace("&amp;", "&")
        assert f"expires={expires}" in href
        assert client.get(href).status_code == 200, href
    assert client.get("/recordings/1").status_code == 401


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.e2e
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_a_browser_renders_the_page_readable_and_refuses_it_after_expiry(
    stored: Engine, settings: Settings, tmp_path: Path
) -> None:
    """Chromium headless, as the recipient of a notice opens it: the DOM it builds and a
    screenshot (kept beside the test's output); then the same link once expired."""
    import threading

    import uvicorn

    configured = settings.model_copy(update={"link_key": KEY, "link_ttl_s": 600.0})
    server = uvicorn.Server(
        uvicorn.Config(create_app(configured, None), host="127.0.0.1", port=0, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    site = f"http://127.0.0.1:{port}"
    url = site + (signed_path(configured.access, "/recordings/1") or "")
    issued_long_ago = time.time() - 601
    expired_url = site + (signed_path(configured.access, "/recordings/1", issued_long_ago) or "")
    browser = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    try:
        dom = subprocess.run(
            [*browser, "--dump-dom", url], capture_output=True, text=True, timeout=60, check=True
        ).stdout
        screenshot = tmp_path / "notes.png"
        subprocess.run(
            [*browser, f"--screenshot={screenshot}", "--window-size=1000,900", url],
            capture_output=True,
            timeout=60,
            check=True,
        )
        expired = subprocess.run(
            [*browser, "--dump-dom", expired_url],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    finally:
        server.should_exit = True
        thread.join(10)
    assert "<h1>Refund</h1>" in dom and "Action items" in dom and "Refund please?" in dom
    assert screenshot.stat().st_size > 10_000, "a page with something on it"
    print(f"screenshot: {screenshot}")
    assert "expired" in expired and "Refund please?" not in expired
