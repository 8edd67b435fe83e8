"""How LLM requests are retried: bounded in attempts and in total time.

Rate limits (429, honouring ``Retry-After``), server errors (5xx), timeouts, refused
connections and bodies that are not JSON are retried with exponential backoff and full
jitter; a request the server rejects (other 4xx), or whose output format it refuses
(whatever the status), is not. The policy lives here, in one
place, instead of being stacked with the openai client's own retries and Prefect's task
retries: its bounds are then the real bounds.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import openai

T = TypeVar("T")


class InvalidResponse(Exception):
    """The endpoint answered 2xx with a body that is not a chat completion."""


class RetriesExhausted(Exception):
    """The last failure, after the policy gave up; ``str()`` says why and how long.
    ``out_of_time``: it gave up because the next wait would pass the budget, not because
    the attempts ran out."""

    def __init__(self, reason: str, *, out_of_time: bool = False) -> None:
        super().__init__(reason)
        self.out_of_time = out_of_time


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    budget_s: float
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform between 0 and the exponential ceiling."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2**attempt)
        return random.uniform(0, ceiling)  # noqa: S311 - spreads retries; not a secret


def call_with_retries(
    request: Callable[[], T], policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep
) -> T:
    started = time.monotonic()
    attempt = 0
    while True:
        try:
            return request()
        except (openai.BadRequestError, openai.UnprocessableEntityError):
            raise
        except (openai.APIStatusError, openai.APIConnectionError, InvalidResponse) as exc:
            if isinstance(exc, openai.APIStatusError) and (
                not _retryable(exc.status_code) or refuses_response_format(exc)
            ):
                raise
            attempt += 1
            elapsed = time.monotonic() - started
            reason = describe(exc)
            if attempt >= policy.max_attempts:
                raise RetriesExhausted(
                    f"{reason} (gave up after {attempt} attempts in {elapsed:.0f} s)"
                ) from None
            delay = retry_after(exc)
            if delay is None:
                delay = policy.backoff(attempt - 1)
            if elapsed + delay > policy.budget_s:
                raise RetriesExhausted(
                    f"{reason} (gave up after {attempt} attempts: waiting {delay:.0f} s more "
                    f"would pass the {policy.budget_s:g} s budget)",
                    out_of_time=True,
                ) from None
            sleep(delay)


FORMAT_WORDS = ("response_format", "json_schema", "json_object")


def refuses_response_format(exc: openai.APIStatusError) -> bool:
    """The server refused the requested output format, whatever status it chose to say it
    with: OpenAI answers 400, llama.cpp's server 500 with the field in the message. A
    request in that format will never pass; a plainer one may."""
    body = exc.body if exc.body is not None else exc.message
    text = str(body).lower()
    return any(word in text for word in FORMAT_WORDS)


def retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    header = response.headers.get("retry-after") if response is not None else None
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        moment = email.utils.parsedate_to_datetime(header)
        return max(0.0, moment.timestamp() - time.time()) if moment else None


def describe(exc: Exception) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "LLM endpoint timed out"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        detail = f" ({' '.join(str(cause).split())})" if cause else ""
        return f"LLM endpoint unreachable{detail}"
    if isinstance(exc, InvalidResponse):
        return "LLM endpoint returned a response that is not a JSON chat completion"
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code == 429:
            return "LLM endpoint rate-limited the request (HTTP 429)"
        return f"LLM endpoint error {exc.status_code}"
    return type(exc).__name__


def _retryable(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500
