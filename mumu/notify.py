"""Completion notices: when a run ends a recording, one signed POST to ``MUMU_NOTIFY_URL``.

Signed the way Standard Webhooks (standardwebhooks.com) sign, so a receiver can use
that project's libraries or a few lines of its own: headers ``webhook-id`` (the same on
every retry of one notice, for de-duplication), ``webhook-timestamp`` (Unix seconds) and
``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``. The key is
``MUMU_NOTIFY_SECRET``'s bytes, or for a ``whsec_`` secret the bytes it encodes in base64.

A notice is sent from its own thread after the outcome is stored, retried with
exponential backoff within ``MUMU_NOTIFY_BUDGET_S``: the run never waits for the
receiver, and a receiver that is down loses only the notice. The thread is not a
daemon, so a process that ends (``mumu run``, a container's flow run) first gives
pending notices their budget.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from mumu.deadline import transport_until
from mumu.errors import ConfigurationError, one_line
from mumu.outcome import RecordingOutcome
from mumu.sentry import scrub
from mumu.setting_groups import NoticesConfig

log = logging.getLogger(__name__)
REQUEST_TIMEOUT_S = 10.0
FIRST_DELAY_S = 0.5
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}
_pending: list[threading.Thread] = []


def check(notices: NoticesConfig) -> None:
    """A URL without a secret is a configuration error: receivers could not trust it."""
    if notices.url and not notices.secret:
        raise ConfigurationError(
            "MUMU_NOTIFY_URL is set without MUMU_NOTIFY_SECRET: notices are signed, "
            "so receivers can check who sent them; set a secret"
        )
    if notices.secret:
        try:
            signing_key(notices.secret.get_secret_value())
        except ValueError:
            raise ConfigurationError(
                "MUMU_NOTIFY_SECRET starts with whsec_ but what follows is not base64"
            ) from None


def announce(notices: NoticesConfig, outcome: RecordingOutcome, links: dict[str, str]) -> None:
    """Send the notice of ``outcome`` in the background; nothing when no URL is set.
    Never raises: the recording is stored before, whatever happens to its notice."""
    try:
        _announce(notices, outcome, links)
    except Exception as exc:  # noqa: BLE001 - a notice must not fail a stored recording
        log.warning("mumu: notice not sent: %s", type(exc).__name__)


def wanted(notices: NoticesConfig) -> bool:
    """Whether notices are sent at all (a URL and its secret are set)."""
    return bool(notices.url and notices.secret)


def _announce(notices: NoticesConfig, outcome: RecordingOutcome, links: dict[str, str]) -> None:
    if not notices.url or not notices.secret:
        return
    said = scrub(payload(outcome, links), list(notices.scrubbed))
    body = json.dumps(said, ensure_ascii=False).encode()
    notice = Notice(
        url=notices.url.get_secret_value(),
        key=signing_key(notices.secret.get_secret_value()),
        body=body,
        budget_s=notices.budget_s,
    )
    thread = threading.Thread(target=notice.deliver, name="mumu-notify", daemon=False)
    _pending.append(thread)
    thread.start()


def wait(timeout_s: float) -> bool:
    """Wait for the notices sent so far; True when none is left pending."""
    deadline = time.monotonic() + timeout_s
    for thread in list(_pending):
        thread.join(max(0.0, deadline - time.monotonic()))
        if not thread.is_alive():
            _pending.remove(thread)
    return not _pending


def payload(outcome: RecordingOutcome, links: dict[str, str]) -> dict[str, Any]:
    return {
        "type": f"recording.{outcome.status}",
        "recording": {
            "id": outcome.recording_id,
            "source": outcome.source,
            "status": outcome.status,
            "title": outcome.title,
            "duration_s": outcome.duration_s,
            "error": outcome.error,
            "note": outcome.note,
        },
        "links": links,
    }


def signing_key(secret: str) -> bytes:
    """The secret's bytes; for ``whsec_``, the bytes it encodes (padding optional, as
    Standard Webhooks' libraries read it). ``ValueError`` when that is not base64."""
    if secret.startswith("whsec_"):
        encoded = secret.removeprefix("whsec_")
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    return secret.encode()


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class Notice:
    def __init__(self, url: str, key: bytes, body: bytes, budget_s: float) -> None:
        self.url = url
        self.key = key
        self.body = body
        self.budget_s = budget_s
        self.id = f"msg_{uuid.uuid4().hex}"

    @property
    def receiver(self) -> str:
        """Where it goes, as logs may say it: scheme, host and port, never a path or a
        query (chat webhooks carry their token there)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")

    def deliver(self) -> None:
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            failure = self._post(started)
            if failure is None:
                return
            delay = random.uniform(0, FIRST_DELAY_S * 2**attempt)  # noqa: S311 - jitter
            out_of_time = time.monotonic() - started + delay >= self.budget_s
            if not failure.retryable or out_of_time:
                log.warning(
                    "mumu: notice %s to %s not delivered after %d attempts: %s",
                    self.id,
                    self.receiver,
                    attempt,
                    failure.reason,
                )
                return
            time.sleep(delay)

    def _post(self, started: float) -> _Failure | None:
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": "mumu",
            "webhook-id": self.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self.key, self.id, timestamp, self.body),
        }
        remaining = max(0.1, self.budget_s - (time.monotonic() - started))
        ends = time.monotonic() + min(REQUEST_TIMEOUT_S, remaining)
        try:
            with httpx.Client(transport=transport_until(ends), timeout=REQUEST_TIMEOUT_S) as client:
                response = client.post(self.url, content=self.body, headers=headers)
        except httpx.HTTPError as exc:
            return _Failure(one_line(type(exc).__name__), retryable=True)
        except Exception as exc:  # noqa: BLE001 - e.g. an invalid URL: said without it
            return _Failure(type(exc).__name__, retryable=False)
        if response.is_success:
            return None
        return _Failure(f"HTTP {response.status_code}", response.status_code in RETRYABLE)


@dataclass(frozen=True)
class _Failure:
    reason: str
    retryable: bool
