"""The ``mumu`` command: run the pipeline, look at what it stored, export transcripts."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mumu import export, progress
from mumu.db import views
from mumu.db.reading import Database, DatabaseUnavailable, connect
from mumu.errors import BadInput, ConfigurationError, one_line
from mumu.prefect_env import apply_cli_defaults, local_run_settings
from mumu.settings import get_settings
from mumu.speakers import spoken_by

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mumu.db.views import EvidenceView, InsightsView
    from mumu.evaluate import FileScore, Score, Verdict
    from mumu.outcome import RecordingOutcome
    from mumu.sources import Source

app = typer.Typer(
    help="mumu: recordings in; transcripts, summaries and action items out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()
errors = Console(stderr=True)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
STATUS_COLOURS = {"completed": "green", "notes_failed": "yellow"}


def fail(message: str, code: int = 2) -> typer.Exit:
    errors.print(Text.assemble(("error:", "red"), " ", plain(message)), highlight=False)
    return typer.Exit(code)


def plain(value: object) -> Text:
    """Text from a recording, an LLM, a file name or a server, shown as it is.

    Never read as Rich markup (``[/]`` or ``[link=...]`` in a title is text), and with
    terminal control characters made visible instead of obeyed.
    """
    text = "" if value is None else str(value)
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return Text(CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text))


def writer() -> Engine:
    """The database of a command that stores: its schema brought up to date."""
    from mumu.db.engine import engine_for

    try:
        return engine_for(get_settings())
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None


@contextmanager
def reader() -> Iterator[Database | None]:
    """The database of a command that only reads, as found, opened by its driver (0025):
    None when nothing was ever stored in it; an error, not a migration, when its schema
    is not this code's."""
    try:
        database = connect(get_settings().database_url_value)
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None
    try:
        yield database
    except DatabaseUnavailable as exc:  # lost or refused while reading
        raise fail(str(exc)) from None
    finally:
        if database is not None:
            database.close()


def search_engine() -> Engine | None:
    """The database of a hybrid search, which stores the vectors still missing: the
    engine, once the driver has found a library whose schema is this code's (a read
    command never migrates, nor makes a database)."""
    from mumu.db.engine import read_engine

    with reader() as database:
        if database is None:
            return None
    try:
        return read_engine(get_settings())
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None


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
    database = writer()
    from mumu import notify
    from mumu.outcome import ALREADY_STORED, outcome
    from mumu.sources import expand, protect, reveal, shown
    from mumu.stages.plan import already_stored

    settings = get_settings()
    if vocabulary:
        settings = settings.model_copy(update={"whisper_vocabulary": vocabulary})
    try:
        notify.check(settings)
    except ConfigurationError as exc:
        raise fail(str(exc)) from None
    sources = expand([protect(path) for path in paths])
    if not sources:
        raise fail("no recordings found in " + ", ".join(shown(path) for path in paths))
    outcomes: dict[str, RecordingOutcome] = {}
    for source in sources:
        recording_id = already_stored(database, reveal(source), settings)
        if recording_id is not None:
            label = shown(source)
            outcomes[label] = outcome(database, label, recording_id, note=ALREADY_STORED)
    todo = [source for source in sources if shown(source) not in outcomes]
    if todo:
        for result in _process(todo, vocabulary):
            outcomes[result.source] = result
    _print_summary([outcomes[shown(source)] for source in sources])
    if not notify.wait(0.2):
        errors.print(f"sending notices (up to {settings.notify_budget_s:.0f} s)...")
        notify.wait(settings.notify_budget_s)
    if not all(result.completed for result in outcomes.values()):
        raise typer.Exit(1)


def _process(sources: list[Source], vocabulary: str | None) -> list[RecordingOutcome]:
    """Run the batch flow with a progress display fed by the flows' stage reports."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    from mumu.flows.process_batch import process_batch

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stage]}", markup=False, style="dim"),
        console=errors,
        transient=True,
    ) as bar:
        overall = bar.add_task("recordings", total=len(sources), stage="starting Prefect")

        def on_stage(source: str, stage: str) -> None:
            if stage == "done":
                bar.advance(overall)
            else:
                bar.update(overall, stage=f"{stage}: {Path(source).name}")

        unsubscribe = progress.subscribe(on_stage)
        try:
            with local_run_settings():
                outcomes = process_batch(sources, vocabulary=vocabulary)
        finally:
            unsubscribe()
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


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (streamed).")] = False,
    limit: Annotated[int, typer.Option(help="Most recordings to show; 0 for all.", min=0)] = 50,
    offset: Annotated[int, typer.Option(help="Recordings to skip (paging).", min=0)] = 0,
    status: Annotated[
        str | None,
        typer.Option(help="pending, running, completed, notes_failed (transcript only) or failed."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Stored since a date (2026-11-01) or for a while (7d, 12h, 30m)."),
    ] = None,
    source: Annotated[str | None, typer.Option(help='Source pattern, e.g. "*standup*".')] = None,
    language: Annotated[str | None, typer.Option(help="Language code, e.g. en.")] = None,
) -> None:
    """List stored recordings, newest first, a page at a time."""
    from mumu.db.states import RecordingStatus

    if status is not None and status not in set(RecordingStatus):
        raise fail(f"unknown status {status!r}; choose one of {', '.join(RecordingStatus)}")
    chosen = views.RecordingFilter(status, _since(since), source, language)
    with reader() as database:
        rows = views.page_of_recordings(database, chosen, limit or None, offset) if database else []
        if as_json:
            _print_json_array(asdict(row) for row in rows)
            return
        columns = ("id", "source", "status", "duration_s", "language", "error")
        table = Table()
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(plain(getattr(row, column)) for column in columns))
        console.print(table)
        total = views.count_recordings(database, chosen) if database else 0
        shown = table.row_count
        more = f"; next page: --offset {offset + shown}" if offset + shown < total else ""
        if shown:
            said = f"{offset + 1}-{offset + shown} of {total} recordings, newest first{more}"
        else:
            said = f"no recordings here ({total} match)" if total else "no recordings match"
        console.print(plain(said))


def _since(value: str | None) -> datetime | None:
    """A date or date and time (UTC when no zone is given), or a span back from now."""
    if value is None:
        return None
    span = re.fullmatch(r"(\d+)\s*([dhm])", value.strip().lower())
    if span:
        hours = {"d": 24.0, "h": 1.0, "m": 1 / 60}[span.group(2)] * int(span.group(1))
        moment = datetime.now(UTC) - timedelta(hours=hours)
    else:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise fail(f"--since {value!r}: give a date (2026-11-01) or a span (7d, 12h)") from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _print_json_array(items: Iterable[object]) -> None:
    """A JSON array written as the items come, so a large listing is never held whole."""
    write = sys.stdout.write
    write("[")
    written = 0
    for item in items:
        write(",\n" if written else "\n")
        write(json.dumps(item, ensure_ascii=False))
        written += 1
    write("\n]\n" if written else "]\n")


@app.command()
def show(
    recording_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one recording: transcript, insights and stages."""
    detail = _detail(recording_id)
    if as_json:
        print(json.dumps(asdict(detail), indent=2, ensure_ascii=False))
        return
    console.print(
        Text.assemble((f"#{detail.id}", "bold"), " ", plain(detail.source), f"  [{detail.status}]")
    )
    if detail.error and detail.status == "notes_failed":
        kept = "the transcript is stored; the notes failed (the next run retries them): "
        console.print(plain(kept + detail.error), style="yellow")
    elif detail.error:
        console.print(plain(detail.error), style="red")
    insights = detail.insights
    if insights:
        console.print()
        console.print(plain(insights.title), style="bold")
        _print_notes(insights)
    if detail.transcript:
        languages = detail.transcript.languages
        if len(languages) > 1:
            console.print(plain("languages: " + ", ".join(languages)))
        if detail.transcript.speakers:
            speaking = ", ".join(speaker.name for speaker in detail.transcript.speakers)
            console.print(plain(f"speakers: {speaking}"))
        spots = [s for s in detail.transcript.segments if export.weak_spot(s)]
        if spots:
            at = ", ".join(export.clock(s.start) for s in spots[:8])
            more = ", …" if len(spots) > 8 else ""
            console.print(
                plain(f"to check: {len(spots)} lines heard with doubt ({at}{more}), marked ?"),
                style="yellow",
            )
        console.print()
        for segment in detail.transcript.segments:
            at = export.timestamp(segment.start, ".")
            if len(languages) > 1 and segment.language:
                at += f" [{segment.language}]"
            voice = plain(spoken_by(segment.speaker))
            if segment.flag:
                doubt = plain(f"[unclear: {segment.flag}] {segment.text}")
                doubt.stylize("dim italic")
                console.print(Text.assemble((at, "dim"), " ", voice, doubt))
            elif spot := export.weak_spot(segment):
                doubt = plain(f" ? {spot}")
                doubt.stylize("yellow")
                console.print(Text.assemble((at, "dim"), " ", voice, plain(segment.text), doubt))
            else:
                console.print(Text.assemble((at, "dim"), " ", voice, plain(segment.text)))
    columns = ("name", "status", "attempts", "duration_s", "error")
    stages = Table(title="stages")
    for column in columns:
        stages.add_column(column)
    for stage in detail.stages:
        stages.add_row(*(plain(getattr(stage, column)) for column in columns))
    console.print(stages)


def _print_notes(insights: InsightsView) -> None:
    """Each claim with the times of the segments it cites; what did not hold, and why."""

    def cited(evidence: list[EvidenceView]) -> Text:
        return Text(f" {export.cited_times(evidence, linked=False)}", style="dim")

    if not insights.summary_claims:
        console.print(plain(insights.summary))
    for claim in insights.summary_claims:
        console.print(Text.assemble(plain(claim.text), cited(claim.evidence)))
    if insights.action_items:
        console.print("action items:")
    for item in insights.action_items:
        who = f" ({item.owner})" if item.owner else ""
        due = f", due {item.due}" if item.due else ""
        console.print(Text.assemble(plain(f"  - {item.task}{who}{due}"), cited(item.evidence)))
    if insights.chapters:
        console.print("chapters:")
    for chapter in insights.chapters:
        console.print(plain(f"  {export.clock(chapter.start)} {chapter.title}"))
    if insights.dropped:
        console.print("not kept (not found in what was said):", style="yellow")
    for dropped in insights.dropped:
        console.print(
            plain(f"  - {dropped.kind} {dropped.text!r}: {dropped.reason}"), style="yellow"
        )


@app.command("export")
def export_(
    recording_id: Annotated[int, typer.Argument(metavar="ID")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="txt, srt, vtt, json, or notes (markdown).")
    ] = "txt",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
) -> None:
    """Export a transcript as txt, srt, vtt or json, or the notes as markdown whose every
    claim links to the moments it cites."""
    if fmt not in export.FORMATS:
        raise fail(f"unknown format {fmt!r}; choose one of {', '.join(export.FORMATS)}")
    text = export.render(_detail(recording_id), fmt)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@app.command("search")
def search_(
    query: Annotated[
        str, typer.Argument(help='Words to look for; "quoted words" must be said as written.')
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[int, typer.Option(help="Most hits to show.", min=1)] = 10,
    offset: Annotated[int, typer.Option(help="Hits to skip (paging).", min=0)] = 0,
    newest: Annotated[bool, typer.Option("--newest", help="Newest hits first.")] = False,
    recording: Annotated[
        int | None, typer.Option(help="Only in this recording.", metavar="ID")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only recordings stored since a date (2026-11-01) or a span (7d)."),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help='Only recordings whose source matches, e.g. "*standup*".')
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="Only segments said in this language, e.g. de.")
    ] = None,
) -> None:
    """Search every stored transcript; best matching segments first."""
    from mumu.search import Within, find

    within = Within(recording, _since(since), source, language)
    settings = get_settings()
    hybrid = settings.embeddings_configured and not newest
    if hybrid:
        from sqlalchemy.exc import DBAPIError

        from mumu.db.reading import describe_db_error

        engine = search_engine()
        try:
            hits = find(engine, settings, query, limit, offset, newest, within) if engine else []
        except DBAPIError as exc:  # lost or refused, after the engine's retries
            raise fail(describe_db_error(settings.database_url_value, exc)) from None
    else:
        with reader() as database:
            hits = (
                find(database, settings, query, limit, offset, newest, within) if database else []
            )
    if as_json:
        print(json.dumps([hit.as_dict() for hit in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        console.print("no more matching segments" if offset else "no matching segments")
        return
    table = Table()
    for column in ("recording", "source", "at", "text"):
        table.add_column(column)
    for hit in hits:
        table.add_row(
            str(hit.recording_id),
            plain(Path(hit.source).name),
            f"{export.clock(hit.start)}-{export.clock(hit.end)}",
            plain(spoken_by(hit.speaker) + hit.text),
        )
    console.print(table)
    if len(hits) == limit:
        console.print(plain(f"more: --offset {offset + limit}"), style="dim")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about the recordings.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[int, typer.Option(help="Segments to retrieve.", min=1)] = 8,
) -> None:
    """Answer a question from the stored transcripts, citing where it was said."""
    apply_cli_defaults()
    writer()
    from mumu.ask import AskResult
    from mumu.flows.ask import ask as ask_flow

    with local_run_settings(), errors.status("asking the LLM") as status:
        unsubscribe = progress.subscribe(lambda _question, said: status.update(said))
        try:
            result = ask_flow(question, limit)
        finally:
            unsubscribe()
    if not isinstance(result, AskResult):  # a configuration state; no blocks are named here
        raise fail(result.message or "the question was not asked")
    if as_json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return
    console.print(plain(result.answer), highlight=False)
    if result.citations:
        console.print("\n[bold]Sources[/bold]")
        for citation in result.citations:
            quote = plain(citation.text)
            quote.stylize("dim")
            line = Text.assemble("  ", plain(citation.label), "  ", quote)
            console.print(line, highlight=False)
    elif result.matches:
        console.print("\n[bold]Best matching segments[/bold]")
        for hit in result.matches:
            quote = plain(spoken_by(hit.speaker) + hit.text)
            quote.stylize("dim")
            label = plain(f"  {hit.source} @ {export.clock(hit.start)}  ")
            console.print(Text.assemble(label, quote), highlight=False)


@app.command()
def speakers(
    recording_id: Annotated[int, typer.Argument(metavar="ID")],
    names: Annotated[
        list[str] | None,
        typer.Argument(metavar="[NUMBER=NAME]...", help='Names to give, as 1="Agent".'),
    ] = None,
) -> None:
    """Show or name the speakers of a recording (a speaker per channel, or told apart by
    voice with MUMU_DIARIZE)."""
    from mumu.db.recordings import name_speakers
    from mumu.speakers import parse_names

    if names:
        try:
            given = parse_names(names)
            name_speakers(writer(), recording_id, given, get_settings().stale_after_s)
        except BadInput as exc:
            raise fail(str(exc)) from None
    transcript = _detail(recording_id).transcript
    if transcript is None or not transcript.speakers:
        raise fail(f"recording {recording_id} has no speakers told apart")
    for speaker in transcript.speakers:
        console.print(Text.assemble(f"{speaker.number}  ", plain(speaker.name)))
    if names and get_settings().llm_configured:
        console.print("its notes are written again with these names on its next run")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema."""
    from mumu.db.engine import upgrade

    try:
        upgrade(get_settings().database_url_value)
    except DatabaseUnavailable as exc:
        raise fail(str(exc)) from None
    console.print("database schema is up to date")


def _detail(recording_id: int) -> views.RecordingDetail:
    with reader() as database:
        detail = views.recording_detail(database, recording_id) if database else None
    if detail is None:
        raise fail(f"no recording with id {recording_id}")
    return detail


@app.command()
def sidecar(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (the Prefect worker's own is 8080).")] = 9108,
) -> None:
    """Serve /health, /ready and /metrics for this machine."""
    import uvicorn
    from prefect.settings import PREFECT_API_URL

    from mumu.sidecar.app import create_app

    uvicorn.run(create_app(get_settings(), PREFECT_API_URL.value()), host=host, port=port)


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
    from mumu import evaluate

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
    from mumu.bench import append_row, run_all

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
    from mumu.scale import measure

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
