"""The time one stage's LLM work may take, shared by all its requests.

A slow model on a small machine can spend minutes on one reply; a map-reduce of a long
recording sends several. The stage's budget bounds them together: each request's
timeout and retries fit in what is left, the next request is not sent once it is
spent, and the stage then fails in one line that says so (the transcript is stored; the
next run retries only the notes). While a request is out, ``waiting`` reports the
seconds spent every few seconds, so a long generation is never a silent one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

REPORT_EVERY_S = 10.0

Waiting = Callable[[float, float], None]
"""Told (seconds spent, seconds of the budget) while a request is out."""


class BudgetSpent(Exception):
    """The stage's LLM work has used its time; ``str()`` is the one-line reason."""


@dataclass
class Budget:
    seconds: float
    what: str
    setting: str
    on_wait: Waiting | None = None
    report_every_s: float = REPORT_EVERY_S
    started: float = field(default_factory=time.monotonic)

    @property
    def spent(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        """Seconds left; raises ``BudgetSpent`` when none are."""
        left = self.seconds - self.spent
        if left <= 0:
            raise BudgetSpent(self.reason())
        return left

    def reason(self) -> str:
        return (
            f"{self.what}: longer than the {self.seconds:g} s budget ({self.setting}); "
            "the model is too slow for this machine or this transcript"
        )

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Report the time spent every ``report_every_s`` until the block ends."""
        if self.on_wait is None:
            yield
            return
        done = threading.Event()
        report = self.on_wait

        def tick() -> None:
            while not done.wait(self.report_every_s):
                report(self.spent, self.seconds)

        ticker = threading.Thread(target=tick, name="llm-waiting", daemon=True)
        ticker.start()
        try:
            yield
        finally:
            done.set()
            ticker.join()
