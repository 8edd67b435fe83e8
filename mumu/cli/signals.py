"""SIGTERM and SIGINT end ``mumu run`` in seconds, saying what came of the batch.

Docker, Kubernetes and systemd stop a process with SIGTERM and kill it a few seconds
later. Transcription and LLM requests run in worker threads that cannot be interrupted,
so the run does not wait for them: the main thread is interrupted, this process's
claims are given up (their recordings left pending, for the next run to go on with),
the table of what finished is printed, notices already due get their budget, and the
process exits 143 (SIGTERM) or 130 (SIGINT) without waiting for the threads. What a
worker was writing is rolled back by the database, as after ``kill -9``.
"""

from __future__ import annotations

import contextvars
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from types import FrameType
from typing import NoReturn, TypeVar

T = TypeVar("T")

STOPPING = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)
"""Docker, Kubernetes and systemd send SIGTERM; a terminal SIGINT (Ctrl-C), SIGQUIT
(Ctrl-\\) and, when it closes, SIGHUP."""


class Stopped(BaseException):
    """A signal asked the run to stop; not an ``Exception``, so no stage or flow takes it
    for its own failure."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """Within it, those signals raise ``Stopped`` in the main thread (once: a second
    signal while stopping is ignored)."""
    previous = {signum: signal.getsignal(signum) for signum in STOPPING}

    def stop(signum: int, _frame: FrameType | None) -> None:
        for each in STOPPING:
            signal.signal(each, signal.SIG_IGN)
        raise Stopped(signum)

    for signum in STOPPING:
        signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def exit_now(code: int) -> NoReturn:
    """Leave without waiting for worker threads or running exit handlers (Prefect's
    would start work in a process that is shutting down)."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError):
            stream.flush()
    os._exit(code)


def in_a_worker_thread(work: Callable[[], T]) -> T:
    """``work()``, run in a thread of its own with this thread's context (Prefect's
    settings are context variables), while this thread waits in steps a signal can
    interrupt."""
    done: Future[T] = Future()
    context = contextvars.copy_context()

    def run() -> None:
        try:
            done.set_result(context.run(work))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            done.set_exception(exc)

    threading.Thread(target=run, name="mumu-batch", daemon=True).start()
    while True:
        try:
            return done.result(timeout=0.5)
        except TimeoutError:
            continue
