"""Completion notices against a receiver on loopback: signed, retried, never in the way."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import SecretStr

from mumu import notify
from mumu.errors import ConfigurationError
from mumu.outcome import RecordingOutcome
from mumu.setting_groups import NoticesConfig
from mumu.settings import Settings
from tests.dripping import dripping
from tests.receiver import Receiver
from tests.test_production import free_port

SECRET = "a-long-shared-secret"
DONE = RecordingOutcome(
    "standup.wav", "completed", recording_id=4, duration_s=61.0, title="Stand-up"
)


def notices(url: str, budget_s: float = 10.0, secret: str | None = SECRET) -> NoticesConfig:
    return Settings(
        notify_url=SecretStr(url),
        notify_secret=SecretStr(secret) if secret else None,
        notify_budget_s=budget_s,
    ).notices


def test_a_notice_is_signed_and_says_what_happened() -> None:
    with Receiver() as receiver:
        notify.announce(notices(receiver.url), DONE, {"export": "mumu export 4 --format notes"})
        assert notify.wait(10)
    [notice] = receiver.received
    assert notice.signed_with(SECRET.encode())
    assert not notice.signed_with(b"another secret")
    assert abs(int(notice.headers["webhook-timestamp"]) - time.time()) < 60
    assert notice.json == {
        "type": "recording.completed",
        "recording": {
            "id": 4,
            "source": "standup.wav",
            "status": "completed",
            "title": "Stand-up",
            "duration_s": 61.0,
            "error": None,
            "note": None,
        },
        "links": {"export": "mumu export 4 --format notes"},
    }


def test_a_standard_webhooks_secret_signs_with_the_key_it_encodes() -> None:
    with Receiver() as receiver:
        notify.announce(notices(receiver.url, secret="whsec_c2VjcmV0LWtleQ=="), DONE, {})
        assert notify.wait(10)
    assert receiver.received[0].signed_with(b"secret-key")


@pytest.mark.slow
def test_a_receiver_that_fails_at_first_gets_the_same_notice_again() -> None:
    with Receiver(failures=2) as receiver:
        notify.announce(notices(receiver.url), DONE, {})
        assert notify.wait(20)
    assert receiver.attempts == 3
    [notice] = receiver.received
    assert notice.signed_with(SECRET.encode())


@pytest.mark.slow
def test_a_receiver_that_is_down_costs_the_budget_and_is_logged_without_its_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:{free_port()}/hooks/T000/B000/XXXXsecretpath"
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="mumu.notify"):
        notify.announce(notices(url, budget_s=2.0), DONE, {})
        took_to_return = time.monotonic() - started
        assert notify.wait(10)
    assert took_to_return < 0.5
    assert time.monotonic() - started < 5
    [line] = [r.getMessage() for r in caplog.records]
    assert (
        "not delivered after" in line
        and f"http://127.0.0.1:{url.split(':')[2].split('/')[0]}" in line
    )
    assert "secretpath" not in line and "T000" not in line


def test_a_url_without_a_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="MUMU_NOTIFY_SECRET"):
        notify.check(notices("http://127.0.0.1:9/x", secret=None))
    notify.check(Settings().notices)


def test_nothing_is_sent_without_a_url(tmp_path: Path) -> None:
    notify.announce(Settings().notices, DONE, {})
    assert notify.wait(0)


def test_a_whsec_secret_that_is_not_base64_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="not base64"):
        notify.check(notices("http://127.0.0.1:9/x", secret="whsec_not*base64!"))
    notify.check(notices("http://127.0.0.1:9/x", secret="whsec_c2VjcmV0LWtleQ"))  # unpadded
    notify.announce(notices("http://127.0.0.1:9/x", secret="whsec_not*base64!"), DONE, {})
    assert notify.wait(5), "announce never raises, even where check was skipped"


def test_a_configured_secret_in_an_error_is_not_sent() -> None:
    leaky = replace(DONE, status="failed", error=f"ingest: refused with {SECRET}")
    with Receiver() as receiver:
        notify.announce(notices(receiver.url), leaky, {})
        assert notify.wait(10)
    assert SECRET not in receiver.received[0].body.decode()


def test_a_receiver_that_drips_its_answer_costs_the_budget_and_no_more(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with dripping(every_s=0.2) as url, caplog.at_level(logging.WARNING, logger="mumu.notify"):
        started = time.monotonic()
        notify.announce(notices(f"{url}/hook", budget_s=2.0), DONE, {})
        assert notify.wait(10)
        took = time.monotonic() - started
    assert took < 3.5, "the budget bounds the whole exchange, not each read"
    [line] = [r.getMessage() for r in caplog.records]
    assert "not delivered after" in line
