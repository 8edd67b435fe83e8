"""Erasing recordings: ``delete``, by id, source pattern or age, shown before it is done."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from mumu.cli.common import app, console, errors, fail, plain, writer
from mumu.errors import ConfigurationError
from mumu.prefect_env import apply_cli_defaults, local_run_settings
from mumu.settings import get_settings


@app.command()
def delete(
    recording_ids: Annotated[
        list[int] | None, typer.Argument(metavar="[ID]...", help="Recordings to erase.")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help='And those whose source matches, e.g. "*standup*".')
    ] = None,
    older_than: Annotated[
        float | None, typer.Option(help="And those stored more than this many days ago.", min=0)
    ] = None,
    keep_refusing: Annotated[
        bool, typer.Option(help="Refuse their content from now on (its hash is kept).")
    ] = False,
    dry_run: Annotated[bool, typer.Option(help="List what would be erased; erase nothing.")] = (
        False
    ),
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase recordings and everything derived from them: transcript, notes, search index,
    questions citing them, downloaded copies and the artifacts their runs published."""
    apply_cli_defaults()
    writer()
    from mumu.flows.erase import ErasureReport, choose, erase

    try:
        chosen, missing = choose(get_settings().database, recording_ids, source, older_than)
    except ConfigurationError as exc:
        raise fail(str(exc)) from None
    for recording_id in missing:
        errors.print(plain(f"no recording {recording_id}"), style="yellow")
    if not chosen:
        console.print("nothing to erase")
        raise typer.Exit(1 if missing else 0)
    table = Table(title="would be erased" if dry_run else "to erase")
    for column in ("id", "source", "status"):
        table.add_column(column)
    for row in chosen:
        table.add_row(str(row.id), plain(row.source), row.status)
    console.print(table)
    if dry_run:
        return
    if not yes:
        if not sys.stdin.isatty():
            raise fail(f"{len(chosen)} recordings would be erased: add --yes to erase them")
        typer.confirm(f"Erase these {len(chosen)} recordings for good?", abort=True)
    with local_run_settings(), errors.status("erasing"):
        report = erase([row.id for row in chosen], keep_refusing=keep_refusing)
    if not isinstance(report, ErasureReport):
        raise fail(report.message or "nothing was erased")
    console.print(
        f"erased {len(report.erased)} recordings, {sum(e.questions for e in report.erased)} "
        f"questions citing them, {report.files} downloaded copies, "
        f"{report.artifacts} artifacts and runs on Prefect"
    )
    if report.missing:
        raise typer.Exit(1)
