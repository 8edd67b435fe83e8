"""In-process progress events, so the command line can show files and stages as they run.

Flows report; a listener (the CLI's progress display) may subscribe. With no listener,
as in a deployed worker, reporting costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mumu.outcome import RecordingOutcome

Listener = Callable[[str, str], None]
_listeners: list[Listener] = []
_finished: list[Callable[[RecordingOutcome], None]] = []


def subscribe(listener: Listener) -> Callable[[], None]:
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def report(source: str, stage: str) -> None:
    for listener in list(_listeners):
        listener(source, stage)


def subscribe_finished(listener: Callable[[RecordingOutcome], None]) -> Callable[[], None]:
    """``listener`` gets each recording's outcome as its run ends: what a run stopped
    part way (a signal) can still say came of each."""
    _finished.append(listener)
    return lambda: _finished.remove(listener)


def finished(outcome: RecordingOutcome) -> None:
    for listener in list(_finished):
        listener(outcome)
