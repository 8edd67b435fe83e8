"""Who holds a claim: an owner names its host and PID namespace, its process and its run,
so that a claim of a process that is gone from this host can be told at once. Kept free
of the database, so the read commands can judge a claim without loading SQLAlchemy."""

from __future__ import annotations

import os
import socket
import uuid


def _process_space() -> str:
    """This host and PID namespace: where a process id means the same process.

    Containers with host networking share the host's name but not its process ids, so
    the name alone would let one container take a live claim of another for dead.
    """
    try:
        namespace = os.readlink("/proc/self/ns/pid").removeprefix("pid:[").rstrip("]")
    except OSError:
        namespace = "-"
    return f"{socket.gethostname()}@{namespace}"


PROCESS_SPACE = _process_space()


def new_owner() -> str:
    """An owner token: this host and PID namespace, this process, this run."""
    return f"{PROCESS_SPACE}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def dead_here(owner: str) -> bool:
    """True when the owner ran in this process space, in a process that no longer exists."""
    parts = owner.split(":")
    if len(parts) != 3 or parts[0] != PROCESS_SPACE:
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False
