"""One recording through every stage: ingest, audio, transcribe, insights."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Failed, State

from mumu import export, progress
from mumu.blocks import settings_from_blocks
from mumu.db import claims, store, views
from mumu.db.models import RecordingStatus, utcnow
from mumu.download import discard
from mumu.errors import BadInput, ConfigurationError
from mumu.flows.states import configuration_failed
from mumu.sentry import init_sentry, report_stage_failure
from mumu.settings import Settings
from mumu.stages import AUDIO, INGEST, INSIGHTS, TRANSCRIBE
from mumu.tasks.audio import decode_recording
from mumu.tasks.ingest import ingest
from mumu.tasks.insights import summarize_recording
from mumu.tasks.transcribe import transcribe_recording

ALREADY_STORED = "already stored"


@dataclass(frozen=True)
class RecordingOutcome:
    source: str
    status: str
    recording_id: int | None = None
    error: str | None = None
    duration_s: float | None = None
    title: str | None = None
    summary: str | None = None
    note: str | None = None


class RecordingFailed(Exception):
    """A failed recording as the data of its Failed state.

    Prefect raises a failed flow's data at the end of a deployed run, so it must be an
    exception; a batch reads the outcome back from it.
    """

    def __init__(self, outcome: RecordingOutcome) -> None:
        super().__init__(outcome.error or "failed")
        self.outcome = outcome


@flow(name="process-recording", flow_run_name="{source}")
def process_recording(
    source: str,
    whisper_block: str | None = None,
    llm_block: str | None = None,
    database_block: str | None = None,
) -> RecordingOutcome | State:
    """Process one recording (a path or URL). Block names override ``MUMU_`` settings."""
    try:
        settings = settings_from_blocks(whisper_block, llm_block, database_block)
    except ConfigurationError as exc:
        return configuration_failed(exc)
    init_sentry(settings)
    engine = store.engine_for(settings)
    started_at = utcnow()
    recording_id: int | None = None
    ingested_path: str | None = None
    stage = INGEST
    result: RecordingOutcome | None = None
    owner = claims.new_owner()
    try:
        progress.report(source, stage)
        ingested = ingest(source, settings, owner)
        recording_id, ingested_path = ingested.recording_id, ingested.path
        with claims.heartbeat(engine, recording_id, owner, settings.stale_after_s):
            if not ingested.todo:
                get_run_logger().info("already stored with current settings: nothing to do")
                store.complete_recording(engine, recording_id)
                result = outcome(settings, source, recording_id, note=ALREADY_STORED)
                return result
            if TRANSCRIBE in ingested.todo:
                progress.report(source, stage := AUDIO)
                decoded = decode_recording(recording_id, ingested.path, settings)
                progress.report(source, stage := TRANSCRIBE)
                transcribe_recording(recording_id, decoded, settings)
            progress.report(source, stage := INSIGHTS)
            summarize_recording(recording_id, settings)
            store.complete_recording(engine, recording_id)
        result = outcome(settings, source, recording_id)
        return result
    except Exception as exc:  # noqa: BLE001 - the stage stored the reason; the run reports it
        if isinstance(exc, BadInput) and exc.recording_id is not None:
            recording_id = exc.recording_id
        reason = store.one_line(exc)
        report_stage_failure(settings, recording_id, stage, reason, isinstance(exc, BadInput))
        result = outcome(settings, source, recording_id, fallback_error=f"{stage}: {reason}")
        return Failed(message=result.error, data=RecordingFailed(result))
    finally:
        if ingested_path is not None:
            discard(Path(ingested_path), settings)
        status = result.status if result else RecordingStatus.FAILED
        store.record_pipeline_run(engine, "process-recording", status, started_at, recording_id)
        if recording_id is not None:
            publish_notes(settings, recording_id)
        progress.report(source, "done")


def publish_notes(settings: Settings, recording_id: int) -> None:
    """The recording's notes as this run's artifact, with where to get the transcript."""
    detail = views.recording_detail(store.engine_for(settings), recording_id)
    if detail is None:
        return
    if settings.public_url:
        base = f"{settings.public_url.rstrip('/')}/recordings/{recording_id}/transcript"
        links = ", ".join(f"[{fmt}]({base}.{fmt})" for fmt in export.FORMATS)
        where = f"Transcript: {links}"
    else:
        where = f"Transcript: `mumu export {recording_id} --format srt` (or txt, vtt, json)"
    create_markdown_artifact(
        key=f"mumu-recording-{recording_id}",
        markdown=f"{export.notes_markdown(detail)}\n{where}\n",
        description=f"recording {recording_id}: {detail['status']}",
    )


def outcome(
    settings: Settings,
    source: str,
    recording_id: int | None,
    note: str | None = None,
    fallback_error: str | None = None,
) -> RecordingOutcome:
    """What happened to a recording, read back from what was stored."""
    if recording_id is None:
        return RecordingOutcome(source=source, status=RecordingStatus.FAILED, error=fallback_error)
    row, insights = views.brief(store.engine_for(settings), recording_id)
    failed = row["status"] != RecordingStatus.COMPLETED
    return RecordingOutcome(
        source=source,
        status=row["status"],
        recording_id=recording_id,
        error=(row["error"] or fallback_error) if failed else None,
        duration_s=row["duration_s"],
        title=insights["title"] if insights else None,
        summary=insights["summary"] if insights else None,
        note=note,
    )
