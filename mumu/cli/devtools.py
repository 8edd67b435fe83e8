"""Measuring mumu: ``eval`` (the golden sets), ``bench`` (against raw faster-whisper) and
``bench-library`` (reads at library sizes)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
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


@app.command()
def bench(
    minutes: Annotated[float, typer.Option(help="Length of the long corpus file.")] = 5.0,
    files: Annotated[int, typer.Option(help="Number of short files.")] = 50,
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
    batch_size = get_settings().whisper_batch_size
    command = (
        f"MUMU_WHISPER_BATCH_SIZE={batch_size} mumu bench --minutes {minutes:g} --files {files}"
    )
    append_row(results, summary, command=command)
    console.print(f"results: {out / 'results.json'}; row appended to {results}")


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
