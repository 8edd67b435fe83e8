"""Errors that are the input's fault, not the system's.

A ``BadInput`` carries a one-line message for the user; it is stored on the recording,
shown in summaries, never retried and never shown as a traceback.
"""


class BadInput(Exception):
    """The recording cannot be processed as given (missing, empty, not audio, ...).

    ``recording_id`` is set once the failure is stored, so callers can point at it.
    """

    def __init__(self, message: str, recording_id: int | None = None) -> None:
        super().__init__(message)
        self.recording_id = recording_id
