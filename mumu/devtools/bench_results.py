"""dev/bench-results.md: one table per mode (and per change of method), a dated row per run.

Rows go at the end of the last table with the run's header, not at the end of the file:
the file holds a table for each mode, so appending would put a row under another mode's
header.
"""

from __future__ import annotations

from pathlib import Path

TITLE = "# `mumu bench` results"


def add_row(
    results_file: Path, header: list[str], row: list[str], heading: str, intro: str
) -> None:
    """Insert ``row`` into the last table headed ``header``; where there is none, start
    a section (``## heading``, ``intro``, the table) at the end of the file."""
    header_line = "| " + " | ".join(header) + " |"
    row_line = "| " + " | ".join(row) + " |"
    lines = results_file.read_text().splitlines() if results_file.exists() else [TITLE]
    starts = [index for index, line in enumerate(lines) if line == header_line]
    if starts:
        end = starts[-1] + 2
        while end < len(lines) and lines[end].startswith("|"):
            end += 1
        lines.insert(end, row_line)
    else:
        while lines and not lines[-1].strip():
            lines.pop()
        separator = "| " + " | ".join("---" for _ in header) + " |"
        lines += ["", f"## {heading}", ""] + ([intro, ""] if intro else [])
        lines += [header_line, separator, row_line]
    results_file.write_text("\n".join(lines) + "\n")
