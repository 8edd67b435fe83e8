"""LLM endpoint faults, injected by a real server: retried within bounds, then a clear reason."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from mumu.llm.client import LLMError, get_llm
from mumu.llm.grounding import Notes
from mumu.llm.retry import RetryPolicy
from mumu.settings import get_settings
from tests import fake_llm as behaviours
from tests.fake_llm import FakeLLM

StartLLM = Callable[[str], FakeLLM]


def ask() -> Notes:
    notes, _ = get_llm(get_settings().llm).complete("system", "[0 @ 00:00] hello", Notes)
    return notes


def configure(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"MUMU_{name.upper()}", value)
    get_settings.cache_clear()


@pytest.mark.slow
def test_a_rate_limit_is_waited_out_as_the_server_asks(fake_llm: StartLLM) -> None:
    server = fake_llm(behaviours.RATE_LIMITED_ONCE)
    started = time.monotonic()
    assert ask().title
    assert len(server.requests) == 2
    assert time.monotonic() - started >= 1.0


@pytest.mark.slow
def test_server_errors_are_retried_until_it_recovers(fake_llm: StartLLM) -> None:
    server = fake_llm(behaviours.FLAKY)
    assert ask().title
    assert len(server.requests) == 3


@pytest.mark.slow
def test_a_server_that_stays_down_fails_after_the_bounded_attempts(
    fake_llm: StartLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_llm(behaviours.DOWN)
    configure(monkeypatch, llm_max_retries="2")
    with pytest.raises(LLMError, match=r"error 503 \(gave up after 3 attempts in \d+ s\)"):
        ask()
    assert len(server.requests) == 3


@pytest.mark.slow
def test_timeouts_are_retried_then_reported(
    fake_llm: StartLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_llm(behaviours.SLOW)
    configure(monkeypatch, llm_timeout_s="0.3", llm_max_retries="1")
    with pytest.raises(LLMError, match=r"timed out \(gave up after 2 attempts"):
        ask()
    assert len(server.requests) == 2


def test_a_body_that_is_not_json_is_retried_then_reported(
    fake_llm: StartLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_llm(behaviours.NOT_JSON)
    configure(monkeypatch, llm_max_retries="1")
    with pytest.raises(LLMError, match="not a JSON chat completion"):
        ask()


def test_a_refused_connection_is_retried_then_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-refused")
    configure(monkeypatch, llm_max_retries="1")
    with pytest.raises(LLMError, match=r"unreachable.*gave up after 2 attempts") as caught:
        ask()
    assert "sk-test-refused" not in str(caught.value)


def test_the_total_time_is_bounded_even_when_the_server_asks_for_more(
    fake_llm: StartLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_llm(behaviours.RATE_LIMITED_ONCE)
    configure(monkeypatch, llm_retry_budget_s="0.5")
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"would pass the 0\.5 s budget"):
        ask()
    assert time.monotonic() - started < 1.0
    assert len(server.requests) == 1


def test_backoff_grows_exponentially_with_full_jitter() -> None:
    policy = RetryPolicy(max_attempts=10, budget_s=1000, base_delay_s=1, max_delay_s=30)
    for attempt, ceiling in ((0, 1), (1, 2), (2, 4), (3, 8), (6, 30), (9, 30)):
        delays = [policy.backoff(attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8
        assert len(set(delays)) > 150
