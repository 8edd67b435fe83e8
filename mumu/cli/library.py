"""Reading the library: ``list``, ``show``, ``export``, ``link``, ``search``, ``ask`` and
``speakers`` (which also names them)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from mumu import progress
from mumu.access import link
from mumu.cli.common import (
    app,
    console,
    errors,
    fail,
    parse_since,
    plain,
    print_json_array,
    reader,
    recording_detail,
    search_engine,
    writer,
)
from mumu.db import views
from mumu.errors import BadInput
from mumu.library import export
from mumu.prefect_env import apply_cli_defaults, local_run_settings
from mumu.settings import get_settings
from mumu.speakers import spoken_by
from mumu.transcription.fallback import described

if TYPE_CHECKING:
    from mumu.db.views import EvidenceView, InsightsView


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
    chosen = views.RecordingFilter(status, parse_since(since), source, language)
    with reader() as database:
        rows = views.page_of_recordings(database, chosen, limit or None, offset)
        if as_json:
            print_json_array(asdict(row) for row in rows)
            return
        columns = ("id", "source", "status", "duration_s", "language", "error")
        table = Table()
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(plain(getattr(row, column)) for column in columns))
        console.print(table)
        total = views.count_recordings(database, chosen)
        shown = table.row_count
        more = f"; next page: --offset {offset + shown}" if offset + shown < total else ""
        if shown:
            said = f"{offset + 1}-{offset + shown} of {total} recordings, newest first{more}"
        else:
            said = f"no recordings here ({total} match)" if total else "no recordings match"
        console.print(plain(said))


@app.command()
def show(
    recording_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one recording: transcript, insights and stages."""
    detail = recording_detail(recording_id)
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
        if detail.transcript.fallback:
            console.print(plain(described(detail.transcript.fallback)), style="yellow")
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
    text = export.render(recording_detail(recording_id), fmt)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}") from None


@app.command("link")
def link_(
    recording_id: Annotated[int, typer.Argument(metavar="ID")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="page (the default: notes and transcript), notes, txt, srt, vtt or json.",
        ),
    ] = "page",
    ttl_s: Annotated[
        float | None, typer.Option("--ttl", help="Seconds it opens the page (MUMU_LINK_TTL_S).")
    ] = None,
) -> None:
    """A link to a recording's notes or transcript on the sidecar, signed to expire: for a
    person without a token."""
    if fmt != "page" and fmt not in export.FORMATS:
        raise fail(f"unknown format {fmt!r}; choose page or one of {', '.join(export.FORMATS)}")
    access = get_settings().access
    if access.link_key is None or not access.public_url:
        raise fail("a link needs MUMU_PUBLIC_URL (the sidecar's address) and MUMU_LINK_KEY")
    if ttl_s is not None and not 0 < ttl_s <= 366 * 86_400:
        raise fail(f"--ttl {ttl_s:g}: give seconds, more than 0 and at most a year")
    recording_detail(recording_id)
    page = {"page": "", "notes": "/notes.md"}.get(fmt, f"/transcript.{fmt}")
    chosen = replace(access, link_ttl_s=ttl_s) if ttl_s is not None else access
    print(link(chosen, f"/recordings/{recording_id}{page}"))


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
    from mumu.library.search import Within, find

    within = Within(recording, parse_since(since), source, language)
    settings = get_settings()
    hybrid = settings.llm.embeddings_configured and not newest
    if hybrid:
        from sqlalchemy.exc import DBAPIError

        from mumu.db.reading import describe_db_error

        engine = search_engine()
        try:
            hits = (
                find(engine, settings.llm, query, limit, offset, newest, within) if engine else []
            )
        except DBAPIError as exc:  # lost or refused, after the engine's retries
            raise fail(describe_db_error(settings.database.url_value, exc)) from None
    else:
        with reader() as database:
            hits = find(database, settings.llm, query, limit, offset, newest, within)
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
    from mumu.flows.ask import ask as ask_flow
    from mumu.llm.ask import AskResult

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
    transcript = recording_detail(recording_id).transcript
    if transcript is None or not transcript.speakers:
        raise fail(f"recording {recording_id} has no speakers told apart")
    for speaker in transcript.speakers:
        console.print(Text.assemble(f"{speaker.number}  ", plain(speaker.name)))
    if names and get_settings().llm.configured:
        console.print("its notes are written again with these names on its next run")
