"""In-process progress events, so the command line can show files and stages as they run.

Flows report; a listener (the CLI's progress display) may subscribe. With no listener,
as in a deployed worker, reporting costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[[str, str], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Callable[[], None]:
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def report(source: str, stage: str) -> None:
    for listener in list(_listeners):
        listener(source, stage)
