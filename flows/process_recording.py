"""One recording through every stage: ingest, audio, transcribe, insights."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import flow
from prefect.states import Failed, State

from mumu import progress
from mumu.blocks import settings_from_blocks
from mumu.db import claims, store, views
from mumu.db.models import RecordingStatus, utcnow
from mumu.download import discard
from mumu.errors import BadInput
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


@flow(name="process-recording", flow_run_name="{source}")
def process_recording(
    source: str,
    whisper_block: str | None = None,
    llm_block: str | None = None,
    database_block: str | None = None,
) -> RecordingOutcome | State:
    """Process one recording (a path or URL). Block names override ``MUMU_`` settings."""
    settings = settings_from_blocks(whisper_block, llm_block, database_block)
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
        return Failed(message=result.error, data=result)
    finally:
        if ingested_path is not None:
            discard(Path(ingested_path), settings)
        status = result.status if result else RecordingStatus.FAILED
        store.record_pipeline_run(engine, "process-recording", status, started_at, recording_id)
        progress.report(source, "done")


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
