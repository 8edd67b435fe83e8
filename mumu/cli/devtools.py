"""Measuring mumu: ``eval`` (the golden sets), ``bench`` (against raw faster-whisper) and
``bench-library`` (reads at library sizes)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from mumu.cli.common import app, console, errors, fail, plain
from mumu.errors import BadInput, ConfigurationError, one_line
from mumu.settings import get_settings

if TYPE_CHECKING:
    from mumu.devtools.evaluate import FileScore, Score, Verdict


@app.command("eval")
def eval_(
    candidate: Annotated[
        list[str] | None,
        typer.Option("--candidate", "-c", help="NAME=VALUE over the current settings."),
    ] = None,
    golden: Annotated[
        list[Path] | None,
        typer.Option("--set", help="Folder with references.json or audio + .txt files."),
    ] = None,
    margin: Annotated[float, typer.Option(help="WER a candidate may lose.")] = 0.02,
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="Accepted scores of the current defaults "
            "[default: dev/golden-baseline.json for the shared clips; none with --set]"
        ),
    ] = None,
    update_baseline: Annotated[
        bool, typer.Option("--update-baseline", help="Accept the current scores.")
    ] = False,
    results: Annotated[Path, typer.Option(help="Results file a dated row is appended to.")] = Path(
        "dev/eval-results.md"
    ),
) -> None:
    """Score transcripts on a golden set: current settings against a candidate (or against
    the accepted baseline); exit 1 when it got worse by more than the margin."""
    from mumu.devtools import evaluate

    if baseline is None and not golden:
        baseline = Path("dev/golden-baseline.json")
    if update_baseline and baseline is None:
        raise fail("--update-baseline with --set needs --baseline FILE: where to keep the scores")
    try:
        other = evaluate.candidate_settings(candidate, get_settings()) if candidate else None
        items = evaluate.golden_set(golden or [Path("../shared/data")])
        if not items:
            raise ValueError("no recordings with reference text in the golden set")
        accepted = None
        if other is None and not update_baseline and baseline and baseline.is_file():
            accepted = evaluate.Score.from_dict(json.loads(baseline.read_text()))
        current = evaluate.score(items, get_settings(), "current")
        candidate_score = evaluate.score(items, other, "candidate") if other else None
    except (ValueError, KeyError, TypeError, OSError, ConfigurationError, BadInput) as exc:
        raise fail(one_line(exc)) from None
    if candidate_score is not None:
        before, after = current, candidate_score
    elif accepted is not None:
        if not evaluate.comparable(accepted, current):
            raise fail(
                f"{baseline} holds scores of {accepted.key} on other recordings or settings: "
                "compare a candidate with -c NAME=VALUE, or accept these with --update-baseline"
            )
        before, after = replace(accepted, label=f"baseline {baseline}"), current
    else:
        before, after = current, current
    verdict = evaluate.compare(before, after, margin)
    behind = evaluate.behind_raw(after, margin)
    verdict = replace(
        verdict, worse=verdict.worse or bool(behind), reasons=verdict.reasons + behind
    )
    _print_scores(before, after, verdict)
    try:
        if results.parent.is_dir():
            evaluate.append_row(results, before, after if after is not before else None, verdict)
        else:
            console.print(f"no {results.parent}/ here: pass --results FILE to keep a row")
        if update_baseline and baseline is not None:
            baseline.write_text(json.dumps(current.as_dict(), indent=2) + "\n")
            console.print(f"baseline written to {baseline}")
    except OSError as exc:
        raise fail(one_line(exc)) from None
    if verdict.worse:
        raise typer.Exit(1)


def _speakers(file: FileScore) -> str:
    """Speaking time labelled right, and speakers found of those who spoke."""
    if file.speakers_right is None:
        return "-"
    return f"{file.speakers_right:.2f} ({file.speakers_found} of {file.speakers_said})"


def _speed(file: FileScore | None) -> str:
    return f"{file.audio_s / file.wall_s:.1f}" if file and file.wall_s else "-"


def _print_scores(before: Score, after: Score, verdict: Verdict) -> None:
    table = Table(title=f"golden set: {before.label} against {after.label}")
    columns = ("file", "words", "WER before", "WER after", "raw faster-whisper", "flagged")
    for column in (*columns, "hidden (right)", "doubted", "speakers", "x real time"):
        table.add_column(column)
    by_name = {f.name: f for f in before.files}
    for file in after.files:
        was = by_name.get(file.name)
        table.add_row(
            plain(file.name),
            str(file.reference_words),
            f"{was.wer:.3f}" if was else "-",
            f"{file.wer:.3f}",
            f"{file.raw_wer:.3f}" if file.raw_wer is not None else "-",
            f"{was.flagged if was else '-'} -> {file.flagged}",
            f"{file.hidden_words} ({file.hidden_right})",
            str(file.doubted),
            _speakers(file),
            f"{_speed(was)} -> {_speed(file)}",
        )
    table.add_row(
        "all", "", f"{before.wer:.3f}", f"{after.wer:.3f}", "",
        f"{before.flagged} -> {after.flagged}",
        f"{sum(f.hidden_words for f in after.files)} ({sum(f.hidden_right for f in after.files)})",
        str(sum(f.doubted for f in after.files)), "", f"{before.speed:.1f} -> {after.speed:.1f}",
    )  # fmt: skip
    console.print(table)
    console.print(plain(f"before: {before.key}\nafter:  {after.key}"))
    if verdict.worse:
        errors.print(plain("worse: " + "; ".join(verdict.reasons)), style="red")
    else:
        console.print("not worse", style="green")


class BenchMode(StrEnum):
    long = "long"
    batch = "batch"
    startup = "startup"


@app.command()
def bench(
    mode: Annotated[
        BenchMode,
        typer.Option(
            help="long: one long file and short files, model loads excluded; batch: many "
            "short clips and junk files, whole processes; startup: one 11 s file, whole "
            "processes (issue 28)."
        ),
    ] = BenchMode.long,
    minutes: Annotated[float, typer.Option(help="Length of the long corpus file.")] = 5.0,
    files: Annotated[
        int | None, typer.Option(help="Short files (long: 50) or 3-5 s clips (batch: 120).")
    ] = None,
    refusals: Annotated[int, typer.Option(help="Junk files for --mode batch.")] = 1000,
    repeat: Annotated[
        int, typer.Option(min=1, help="Rounds of each contender (batch, startup).")
    ] = 3,
    data: Annotated[Path, typer.Option(help="Recordings with references.json.")] = Path(
        "../shared/data"
    ),
    out: Annotated[Path, typer.Option(help="Where the corpus and results.json go.")] = Path(
        "dev/bench-out"
    ),
    results: Annotated[Path, typer.Option(help="Results file a dated row is appended to.")] = Path(
        "dev/bench-results.md"
    ),
) -> None:
    """Raw faster-whisper against mumu on the same audio: speed, WER, memory, overhead."""
    from mumu.devtools.bench_process import BenchError

    batch_size = get_settings().whisper_batch_size
    command = f"MUMU_WHISPER_BATCH_SIZE={batch_size} mumu bench"
    try:
        if mode is BenchMode.batch:
            files = 120 if files is None else files
            command += f" --mode batch --files {files} --refusals {refusals} --repeat {repeat}"
            _bench_batch(data, files, refusals, repeat, out / "batch", results, command)
        elif mode is BenchMode.startup:
            command += f" --mode startup --repeat {repeat}"
            _bench_startup(data, repeat, out / "startup", results, command)
        else:
            files = 50 if files is None else files
            _bench_long(data, minutes, files, out, results, command)
    except (BenchError, OSError, KeyError, ValueError) as exc:
        raise fail(f"mumu bench --mode {mode.value}: {exc}") from None


def _bench_long(
    data: Path, minutes: float, files: int, out: Path, results: Path, command: str
) -> None:
    from mumu.devtools.bench import append_row, run_all

    summary = run_all(data, minutes, files, out)
    table = Table(title=f"mumu bench: {minutes:g} min corpus, {files} short files")
    for column in (
        "run",
        "files",
        "audio s",
        "wall s",
        "audio s / wall s",
        "WER",
        "peak MB",
        "model loads",
    ):
        table.add_column(column)
    for name, phase in summary["phases"].items():
        table.add_row(
            name,
            str(phase["files"]),
            f"{phase['audio_s']:.0f}",
            f"{phase['wall_s']:.1f}",
            f"{phase['speed']:.1f}",
            f"{phase['wer']:.3f}",
            f"{phase['peak_rss_mb']:.0f}",
            str(phase["model_loads"]),
        )
    console.print(table)
    console.print(
        f"mumu / raw batched: {summary['mumu_vs_raw_batched']:.2f}   "
        f"mumu / raw sequential: {summary['mumu_vs_raw_sequential']:.2f}   "
        f"orchestration overhead per short file: {summary['overhead_per_short_file_s']:.3f} s"
    )
    append_row(results, summary, command=f"{command} --minutes {minutes:g} --files {files}")
    console.print(f"results: {out / 'results.json'}; row appended to {results}")


def _walls(walls: list[float]) -> str:
    return ", ".join(f"{wall:.1f}" for wall in walls) or "-"


def _bench_batch(
    data: Path, files: int, refusals: int, repeat: int, out: Path, results: Path, command: str
) -> None:
    from mumu.devtools import bench_batch
    from mumu.devtools.bench_process import median
    from mumu.devtools.bench_results import add_row

    summary = bench_batch.run_batch(data, files, refusals, repeat, out, get_settings())
    table = Table(title=f"mumu bench --mode batch: {files} clips, {refusals} junk files")
    for column in ("run", "files", "wall s (median)", "each round", "files / s", "WER", "peak MB"):
        table.add_column(column)
    for name, walls, wer, peak, count in (
        ("raw faster-whisper", summary.raw_walls, summary.wer_raw, summary.raw_peak_mb, files),
        ("mumu run clips/", summary.mumu_walls, summary.wer_mumu, summary.mumu_peak_mb, files),
        ("mumu run junk/", summary.refusal_walls, None, summary.refusal_peak_mb, refusals),
    ):
        if not walls:
            continue
        wall = median(walls)
        table.add_row(
            name, str(count), f"{wall:.1f}", _walls(walls), f"{count / wall:.1f}",
            f"{wer:.3f}" if wer is not None else "-", f"{peak:.0f}",
        )  # fmt: skip
    console.print(table)
    if summary.clips:
        console.print(f"mumu against raw's text (agreement WER): {summary.agreement:.3f}")
    if summary.refused < summary.refusals:
        errors.print(f"{summary.refusals - summary.refused} junk files were not refused")
    console.print(bench_batch.summary_line(summary))
    row = bench_batch.row(summary, command)
    add_row(results, bench_batch.HEADER, row, bench_batch.HEADING, bench_batch.INTRO)
    console.print(f"row added to {results}")


def _bench_startup(data: Path, repeat: int, out: Path, results: Path, command: str) -> None:
    from mumu.devtools import bench_startup
    from mumu.devtools.bench_process import median
    from mumu.devtools.bench_results import add_row

    summary = bench_startup.run_startup(data, repeat, out, get_settings())
    table = Table(title=f"mumu bench --mode startup: {bench_startup.RECORDING}, {repeat} rounds")
    for column in ("run", "wall s (median)", "each round", "WER", "peak MB"):
        table.add_column(column)
    raw, mumu = summary.raw_walls, summary.mumu_walls
    table.add_row("raw faster-whisper", f"{median(raw):.2f}", _walls(raw),
                  f"{summary.wer_raw:.3f}", f"{summary.raw_peak_mb:.0f}")  # fmt: skip
    table.add_row("mumu run", f"{median(mumu):.2f}", _walls(mumu),
                  f"{summary.wer_mumu:.3f}", f"{summary.mumu_peak_mb:.0f}")  # fmt: skip
    table.add_row("mumu --help", f"{median(summary.help_walls):.2f}",
                  _walls(summary.help_walls), "-", "-")  # fmt: skip
    table.add_row("mumu stages (its library)", f"{median(summary.stage_s):.2f}",
                  _walls(summary.stage_s), "-", "-")  # fmt: skip
    console.print(table)
    console.print(bench_startup.summary_line(summary))
    row = bench_startup.row(summary, command)
    add_row(results, bench_startup.HEADER, row, bench_startup.HEADING, bench_startup.INTRO)
    console.print(f"row added to {results}")


@app.command("bench-library")
def bench_library(
    sizes: Annotated[
        list[int], typer.Argument(help="Library sizes in recordings, e.g. 10000 100000.")
    ],
    database: Annotated[
        str | None,
        typer.Option(help="A scratch database URL to fill; default: a new SQLite file."),
    ] = None,
    results: Annotated[Path, typer.Option(help="Results file the table is appended to.")] = Path(
        "dev/scale-results.md"
    ),
) -> None:
    """How list, search, show, export and a metrics scrape hold up as a library grows."""
    import tempfile

    from sqlalchemy import text

    from mumu.db.engine import get_engine, upgrade
    from mumu.db.reading import safe_url
    from mumu.devtools.scale import measure

    url = database or f"sqlite:///{tempfile.mkdtemp(prefix='mumu-scale-')}/library.db"
    upgrade(url)
    engine = get_engine(url)
    with engine.connect() as connection:
        foreign = connection.execute(
            text("SELECT count(*) FROM recordings WHERE source NOT LIKE '/library/%'")
        ).scalar_one()
    if foreign:
        raise fail(f"{safe_url(url)} holds recordings of its own: give a scratch database")
    timings = {}
    for seeded, measured in measure(engine, sizes):
        timings[seeded] = measured
        errors.print(f"{seeded} recordings measured")
    columns = list(timings)
    table = Table(title=f"mumu bench-library ({engine.dialect.name}), median ms")
    for column in ["read", *(f"{size:,}" for size in columns), "growth"]:
        table.add_column(column)
    lines = []
    for name in timings[columns[0]]:
        ms = [timings[size][name] * 1000 for size in columns]
        growth = f"{ms[-1] / ms[0]:.1f}x" if ms[0] else "-"
        table.add_row(name, *(f"{value:.1f}" for value in ms), growth)
        lines.append(f"| {name} | " + " | ".join(f"{v:.1f}" for v in ms) + f" | {growth} |")
    console.print(table)
    command = f"mumu bench-library {' '.join(map(str, sizes))} ({engine.dialect.name})"
    header = "| read | " + " | ".join(f"{size:,} ms" for size in columns) + " | growth |"
    with results.open("a") as handle:
        handle.write(
            f"\n## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{command}`\n\n{header}\n"
            + "|---" * (len(columns) + 2)
            + "|\n"
            + "\n".join(lines)
            + "\n"
        )
    console.print(f"appended to {results}")
