"""Errors that are the input's fault, not the system's.

A ``BadInput`` carries a one-line message for the user; it is stored on the recording,
shown in summaries, never retried and never shown as a traceback.
"""


class BadInput(Exception):
    """The recording cannot be processed as given (missing, empty, not audio, ...)."""
