"""Errors that are not worth a retry: the input's fault, or the deployment's.

Both carry a one-line message for a person; neither is retried and neither is shown as
a traceback.
"""


class BadInput(Exception):
    """The recording cannot be processed as given (missing, empty, not audio, ...).

    It is stored on the recording and shown in summaries. ``recording_id`` is set once
    the failure is stored, so callers can point at it.
    """

    def __init__(self, message: str, recording_id: int | None = None) -> None:
        super().__init__(message)
        self.recording_id = recording_id


class ConfigurationError(Exception):
    """The deployment is set up wrong (no GPU for a cuda device, model files missing, a
    block that does not exist): nothing will work until a person fixes it, and the
    message says how."""


ONE_LINE_LIMIT = 300


def one_line(error: BaseException | str) -> str:
    """A reason as people read it in a table or a state message: one line, bounded."""
    text = " ".join(str(error).split())
    if not text and isinstance(error, BaseException):
        text = type(error).__name__
    return text if len(text) <= ONE_LINE_LIMIT else text[: ONE_LINE_LIMIT - 3] + "..."


class StageFailed(Exception):
    """A stage failed and its failure is stored; ``stage`` names it, ``reason`` is the
    stored line and ``__cause__`` the error itself."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason

    @property
    def retryable(self) -> bool:
        return not isinstance(self.__cause__, BadInput | ConfigurationError)
