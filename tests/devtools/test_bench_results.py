"""dev/bench-results.md keeps a table per mode: a row goes under its own header."""

from __future__ import annotations

from pathlib import Path

from mumu.devtools.bench import LONG_HEADER, append_row
from mumu.devtools.bench_results import add_row

REPO = Path(__file__).parents[2]


def _long_summary() -> dict[str, object]:
    phase = {"speed": 20.0, "wer": 0.1, "peak_rss_mb": 1000.0}
    return {
        "date": "2026-12-08 00:00 UTC",
        "cpu_count": 2,
        "phases": dict.fromkeys(("raw-sequential", "raw-batched", "mumu-long"), phase),
        "mumu_vs_raw_batched": 0.6,
        "mumu_vs_raw_sequential": 1.1,
        "overhead_per_short_file_s": 0.3,
    }


def test_each_mode_adds_rows_to_its_own_table_and_the_long_mode_to_its_last(
    tmp_path: Path,
) -> None:
    results = tmp_path / "bench-results.md"
    results.write_text((REPO / "dev" / "bench-results.md").read_text())
    before = results.read_text().splitlines()
    long_header = "| " + " | ".join(LONG_HEADER) + " |"
    add_row(results, ["date", "a"], ["d1", "1"], "Mode A", "About A.")
    add_row(results, ["date", "b"], ["d2", "2"], "Mode B", "")
    add_row(results, ["date", "a"], ["d3", "3"], "Mode A", "About A.")
    append_row(results, _long_summary(), "mumu bench --minutes 1 --files 2")
    lines = results.read_text().splitlines()
    last_long = max(i for i, line in enumerate(before) if line == long_header) + 1
    while last_long + 1 < len(before) and before[last_long + 1].startswith("| 20"):
        last_long += 1
    assert lines[: last_long + 1] == before[: last_long + 1]
    assert "`mumu bench --minutes 1 --files 2`" in lines[last_long + 1]
    assert lines.count(long_header) == before.count(long_header)
    a = lines.index("## Mode A")
    assert lines[a : a + 7] == [
        "## Mode A", "", "About A.", "", "| date | a |", "| --- | --- |", "| d1 | 1 |",
    ]  # fmt: skip
    assert lines[a + 7] == "| d3 | 3 |"
    b = lines.index("## Mode B")
    assert lines[b:] == ["## Mode B", "", "| date | b |", "| --- | --- |", "| d2 | 2 |"]


def test_a_new_file_starts_with_the_title(tmp_path: Path) -> None:
    results = tmp_path / "new.md"
    add_row(results, ["date"], ["d"], "Mode", "Intro.")
    assert results.read_text().splitlines() == [
        "# `mumu bench` results", "", "## Mode", "", "Intro.", "", "| date |", "| --- |", "| d |",
    ]  # fmt: skip
