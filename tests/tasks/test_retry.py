import sqlite3

import httpx
import pytest

from mumu.errors import BadInput, ConfigurationError, StageFailed
from mumu.tasks.retry import is_orchestration_failure, is_transient


class FailedState:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def result(self) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (BadInput("empty file (0 bytes)"), False),
        (ConfigurationError("the Whisper device is cuda but this container sees no CUDA"), False),
        (RuntimeError("CUDA failed with error out of memory"), False),
        (RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB"), False),
        (RuntimeError("CUDA failed with error unspecified launch failure"), True),
        (OSError("connection reset"), True),
    ],
)
def test_only_failures_that_are_not_the_inputs_or_the_set_ups_fault_are_retried(
    error: Exception, retried: bool
) -> None:
    assert is_transient(None, None, FailedState(error)) is retried
    stored = StageFailed("transcribe", str(error))
    stored.__cause__ = error
    assert is_transient(None, None, FailedState(stored)) is retried


def _status(code: int) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "http://127.0.0.1:4200/api/artifacts/")
    return httpx.HTTPStatusError(
        f"{code}", request=request, response=httpx.Response(code, request=request)
    )


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (_status(503), True),
        (httpx.ConnectError("connection refused"), True),
        (sqlite3.OperationalError("database or disk is full"), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_a_recording_is_run_again_only_when_the_prefect_api_failed_it(
    error: Exception, retried: bool
) -> None:
    assert is_orchestration_failure(None, None, FailedState(error)) is retried
