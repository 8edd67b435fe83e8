"""One recording through every stage: ingest, audio, transcribe, insights."""

from __future__ import annotations

from prefect import flow
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run

from mumu.db.models import Stage
from mumu.flows.recording_run import RecordingRun
from mumu.intake.sources import Source, shown
from mumu.outcome import RecordingOutcome
from mumu.settings import Settings
from mumu.stages.ingest import Ingested
from mumu.stages.plan import planned_keys
from mumu.tasks.audio import decode_audio
from mumu.tasks.ingest import ingest
from mumu.tasks.insights import summarize
from mumu.tasks.transcribe import transcribe

HIDDEN = "**********"


def run_name() -> str:
    """The run's name in the UI: its source, with a URL's credentials left out."""
    source = flow_run.parameters.get("source")
    return shown(source) if isinstance(source, str) and source != HIDDEN else "URL (hidden)"


@flow(name="process-recording", flow_run_name=run_name)
def process_recording(
    source: Source,
    whisper_block: str | None = None,
    llm_block: str | None = None,
    database_block: str | None = None,
    vocabulary: str | None = None,
) -> RecordingOutcome | State:
    """Process one recording (a path or URL). Block names override ``MUMU_`` settings.

    A URL with credentials may come as a secret: Prefect then stores and shows it masked.
    """
    with RecordingRun(source) as run:
        run_stages(source, run.configure(whisper_block, llm_block, database_block, vocabulary), run)
    return run.result


def run_stages(source: Source, settings: Settings, run: RecordingRun) -> None:
    """The stages one recording needs, as task runs of the flow or task that calls it."""
    database, transcription = settings.database, settings.transcription
    planned = planned_keys(settings)
    recording = run.hold(ingest(source, settings.intake, planned, database, run.owner))
    if isinstance(recording, Ingested):
        if Stage.TRANSCRIBE in recording.todo:
            decoded = decode_audio(recording, settings.intake, database)
            transcribe(recording, decoded, transcription, database)
        if Stage.INSIGHTS in recording.todo:
            summarize(recording, settings.llm, transcription.key, database)
