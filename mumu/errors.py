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
