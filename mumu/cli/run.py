"""``mumu run``: recordings through the pipeline, with a temporary local Prefect API, and
the table of what came of each."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.table import Table
from rich.text import Text

from mumu import progress
from mumu.cli.common import (
    STATUS_COLOURS,
    app,
    console,
    errors,
    fail,
    importing,
    plain,
    writer,
)
from mumu.cli.signals import Stopped, exit_now, in_a_worker_thread, stopped_by_signals
from mumu.errors import ConfigurationError
from mumu.prefect_env import apply_cli_defaults, local_run_settings
from mumu.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mumu.intake.sources import Source
    from mumu.outcome import RecordingOutcome


@app.command()
def run(
    paths: Annotated[list[str], typer.Argument(help="Files, folders or globs.")],
    vocabulary: Annotated[
        str | None,
        typer.Option(help='Names and terms the recordings use, e.g. "ComfyUI, Prefect".'),
    ] = None,
) -> None:
    """Transcribe and summarise recordings; exit 1 if any failed."""
    apply_cli_defaults()
    with importing():
        database = writer()
        from mumu import notify
        from mumu.intake.sources import expand, protect, shown
        from mumu.refusals import screen_and_report

    settings = get_settings()
    if vocabulary:
        settings = settings.model_copy(update={"whisper_vocabulary": vocabulary})
    try:
        notify.check(settings.notices)
    except ConfigurationError as exc:
        raise fail(str(exc)) from None
    outcomes: dict[str, RecordingOutcome] = {}
    unsubscribe = progress.subscribe_finished(lambda done: outcomes.update({done.source: done}))
    try:
        with stopped_by_signals():
            sources = expand([protect(path) for path in paths])
            if not sources:
                raise fail("no recordings found in " + ", ".join(shown(path) for path in paths))
            screened = screen_and_report(sources, settings)
            outcomes.update(screened.settled)
            if screened.todo:
                from mumu.transcription import whisper

                whisper.preload(settings.transcription.engine)  # while Prefect is imported
                for result in _process(screened.todo, vocabulary):
                    outcomes[result.source] = result
    except Stopped as stop:
        _stopped(database, settings.notify_budget_s, list(outcomes.values()), stop)
    except Exception:  # the database or the disk gave out: said in one line by main()
        _give_up_claims(database)
        raise
    finally:
        unsubscribe()
    _print_summary([outcomes[shown(source)] for source in sources])
    _send_notices(settings.notify_budget_s)
    if not all(result.completed for result in outcomes.values()):
        raise typer.Exit(1)


def _stopped(
    database: Engine, notify_budget_s: float, done: list[RecordingOutcome], stop: Stopped
) -> NoReturn:
    """What a signal leaves: the table of what finished, this process's recordings
    pending again, the notices already due sent within their budget; then the exit."""

    pending = _give_up_claims(database)
    if done:
        _print_summary(done)
    errors.print(
        f"stopped by {stop}: {len(done)} finished"
        + (f", {pending} left pending" if pending else "")
        + "; run again to go on with the rest",
        highlight=False,
    )
    _send_notices(notify_budget_s)
    exit_now(stop.exit_code)


def _send_notices(budget_s: float) -> None:
    """Wait for the notices still being sent, saying so when it takes a moment."""
    from mumu import notify

    if not notify.wait(0.2):
        errors.print(f"sending notices (up to {budget_s:.0f} s)...")
        notify.wait(budget_s)


def _give_up_claims(database: Engine) -> int:
    """This process's recordings back to pending, for the next run; how many. Where the
    database cannot take even that (a full disk), the next run takes the claims of this
    process, dead by then, over at once."""
    from mumu.db import claims

    try:
        return claims.release_this_process(database)
    except Exception:  # noqa: BLE001 - see above
        return 0


def _process(sources: list[Source], vocabulary: str | None) -> list[RecordingOutcome]:
    """Run the batch flow with a progress display fed by the flows' stage reports."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    with importing():
        from mumu.flows.process_batch import process_batch

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]}", style="red"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[stage]}", markup=False, style="dim"),
        console=errors,
        transient=True,
    ) as bar:
        overall = bar.add_task(
            "recordings", total=len(sources), stage="starting Prefect", failed=""
        )
        failed = 0

        def on_finished(outcome: RecordingOutcome) -> None:
            nonlocal failed
            failed += not outcome.completed
            bar.update(overall, failed=f"{failed} failed" if failed else "")

        def on_stage(source: str, stage: str) -> None:
            if stage == "done":
                bar.advance(overall)
            else:
                bar.update(overall, stage=f"{stage}: {Path(source).name}")

        unsubscribe = progress.subscribe(on_stage)
        unsubscribe_finished = progress.subscribe_finished(on_finished)
        try:
            with local_run_settings():
                outcomes = in_a_worker_thread(lambda: process_batch(sources, vocabulary=vocabulary))
        finally:
            unsubscribe()
            unsubscribe_finished()
    if not isinstance(outcomes, list):  # a configuration state; no blocks are named here
        raise fail(outcomes.message or "the batch did not run")
    return outcomes


def _print_summary(outcomes: list[RecordingOutcome]) -> None:
    table = Table(title="mumu run")
    for column in ("id", "file", "duration", "status", "title / error"):
        table.add_column(column)
    for outcome in outcomes:
        status = outcome.note or outcome.status
        colour = STATUS_COLOURS.get(outcome.status, "red")
        table.add_row(
            str(outcome.recording_id or "-"),
            plain(Path(outcome.source).name),
            f"{outcome.duration_s:.1f} s" if outcome.duration_s is not None else "-",
            Text(status, style=colour),
            plain(outcome.error or outcome.title or ""),
        )
    console.print(table)
