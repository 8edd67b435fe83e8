import pytest

from mumu.errors import BadInput, ConfigurationError, StageFailed
from mumu.tasks.retry import is_transient


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
