"""Seconds from starting a read command to its first line of output, two trees of mumu
interleaved so that both see the same machine.

    git worktree add /tmp/before cdf579d && git worktree add /tmp/after HEAD
    .venv/bin/python dev/startup_before_after.py /tmp/before /tmp/after URL [URL ...]

Prints a markdown row per database and command: the median of 9 fresh processes each.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

COMMANDS = (["list"], ["show", "2"], ["search", "refund"], ["export", "2"])
ROUNDS = 9


def first_line(tree: str, url: str, arguments: list[str]) -> float | None:
    environment = {**os.environ, "PYTHONPATH": tree, "MUMU_DATABASE_URL": url}
    started = time.perf_counter()
    with subprocess.Popen(  # noqa: S603 - this interpreter, mumu's own command
        [sys.executable, "-m", "mumu", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environment | {"COLUMNS": "120"},
        cwd=tree,
    ) as command:
        said = command.stdout.readline() if command.stdout else b""
        took = time.perf_counter() - started
        command.kill()
    return took if said else None


def main(before: str, after: str, urls: list[str]) -> None:
    for url in urls:
        for arguments in COMMANDS:
            times: dict[str, list[float]] = {before: [], after: []}
            for _ in range(ROUNDS):
                for tree in (before, after):
                    took = first_line(tree, url, arguments)
                    if took is not None:
                        times[tree].append(took)
            if not times[before] or not times[after]:
                continue  # printed nothing there (no such recording)
            old, new = statistics.median(times[before]), statistics.median(times[after])
            database = url.split(":")[0].split("+")[0]
            command = "mumu " + " ".join(arguments)
            print(f"| {database} | {command} | {old:.2f} | {new:.2f} | {new / old:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
