"""One recording through every stage: ingest, audio, transcribe, insights."""

from __future__ import annotations

from dataclasses import dataclass

from mumu.tasks.audio import decode_recording
from mumu.tasks.ingest import ingest
from mumu.tasks.insights import summarize_recording
from mumu.tasks.transcribe import transcribe_recording
from prefect import flow
from prefect.states import Failed, State

from mumu import progress
from mumu.db import store, views
from mumu.db.models import RecordingStatus
from mumu.errors import BadInput
from mumu.settings import get_settings
from mumu.stages import AUDIO, INGEST, INSIGHTS, TRANSCRIBE

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
def process_recording(source: str) -> RecordingOutcome | State:
    recording_id: int | None = None
    try:
        progress.report(source, INGEST)
        ingested = ingest(source)
        recording_id = ingested.recording_id
        engine = store.engine_for(get_settings())
        if not ingested.todo:
            store.complete_recording(engine, recording_id)
            return outcome(source, recording_id, note=ALREADY_STORED)
        if TRANSCRIBE in ingested.todo:
            progress.report(source, AUDIO)
            decoded = decode_recording(recording_id, ingested.path)
            progress.report(source, TRANSCRIBE)
            transcribe_recording(recording_id, decoded)
        progress.report(source, INSIGHTS)
        summarize_recording(recording_id)
        store.complete_recording(engine, recording_id)
        return outcome(source, recording_id)
    except Exception as exc:  # noqa: BLE001 - the stage stored the reason; the run reports it
        if isinstance(exc, BadInput) and exc.recording_id is not None:
            recording_id = exc.recording_id
        failed = outcome(source, recording_id, fallback_error=store.one_line(exc))
        return Failed(message=failed.error, data=failed)
    finally:
        progress.report(source, "done")


def outcome(
    source: str,
    recording_id: int | None,
    note: str | None = None,
    fallback_error: str | None = None,
) -> RecordingOutcome:
    """What happened to a recording, read back from what was stored."""
    if recording_id is None:
        return RecordingOutcome(source=source, status=RecordingStatus.FAILED, error=fallback_error)
    row, insights = views.brief(store.engine_for(get_settings()), recording_id)
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
