"""Everything around one recording's stages that is not a stage.

Settings from blocks, the claim's heartbeat, error reports, the run record, the notes
artifact, the clean-up of a download and the progress display's "done" live here, in
one context manager, so that ``process_recording`` reads as the pipeline it runs.
"""

from __future__ import annotations

from contextlib import ExitStack
from types import TracebackType

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import State
from prefect.states import Failed
from sqlalchemy import Engine

from mumu import notify, progress
from mumu.access import link
from mumu.blocks import settings_from_blocks
from mumu.db import claims, owners, recordings, views
from mumu.db.engine import engine_for
from mumu.db.models import Stage, utcnow
from mumu.db.runs import record_pipeline_run
from mumu.errors import BadInput, ConfigurationError, StageFailed, one_line
from mumu.flows.states import configuration_failed
from mumu.intake.download import discard
from mumu.intake.sources import Source, shown
from mumu.library import export
from mumu.links import artifact_key, links
from mumu.outcome import ALREADY_STORED, RecordingFailed, RecordingOutcome, outcome
from mumu.sentry import init_sentry, report_stage_failure
from mumu.setting_groups import NoticesConfig
from mumu.settings import Settings
from mumu.stages.ingest import Ingested, Rejected

FLOW = "process-recording"


class RecordingRun:
    """``with RecordingRun(source) as run:`` the stages; then ``run.result`` is the flow's
    return value: the outcome, or a Failed state carrying it. Exceptions in the body are
    the recording's failure, not the flow's crash: they are stored, reported, and end here.
    """

    def __init__(self, source: Source) -> None:
        self.source = shown(source)
        self.owner = owners.new_owner()
        self._result: RecordingOutcome | State | None = None
        self._outcome: RecordingOutcome | None = None
        self._started_at = utcnow()
        self._settings: Settings | None = None
        self._engine: Engine | None = None
        self._recording: Ingested | Rejected | None = None
        self._held = ExitStack()

    def __enter__(self) -> RecordingRun:
        return self

    @property
    def result(self) -> RecordingOutcome | State:
        if self._result is None:
            raise RuntimeError("the run's result is known only after its with block")
        return self._result

    @property
    def outcome(self) -> RecordingOutcome:
        """The recording's outcome, failed or not (a batch's row)."""
        if self._outcome is None:
            raise RuntimeError("the run's outcome is known only after its with block")
        return self._outcome

    def configure(
        self,
        whisper_block: str | None,
        llm_block: str | None,
        database_block: str | None,
        vocabulary: str | None = None,
    ) -> Settings:
        """Settings from the named blocks over the environment, checked."""
        settings = settings_from_blocks(whisper_block, llm_block, database_block, vocabulary)
        notify.check(settings.notices)
        return self.use(settings)

    def use(self, settings: Settings) -> Settings:
        """Settings a batch has resolved and checked once for all its recordings."""
        self._settings = settings
        init_sentry(settings.reporting)
        self._engine = engine_for(settings.database)
        return settings

    def hold(self, recording: Ingested | Rejected) -> Ingested | Rejected:
        """Keep the claim of an ingested recording alive until the run ends."""
        self._recording = recording
        if isinstance(recording, Ingested) and self._engine and self._settings:
            if recording.downloaded:
                self._held.callback(discard, recording.path, self._settings.intake)
            self._held.enter_context(
                claims.heartbeat(
                    self._engine, recording.recording_id, self.owner, self._settings.stale_after_s
                )
            )
            if not recording.todo:
                get_run_logger().info("already stored with current settings: nothing to do")
        return recording

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if exc is not None and not isinstance(exc, Exception):
            self._held.close()
            return False
        try:
            if self._engine is None or self._settings is None:
                if not isinstance(exc, ConfigurationError):
                    return False
                self._result = configuration_failed(exc)
                return True
            result = self._finish(self._engine, self._settings, exc)
        finally:
            progress.report(self.source, "done")
        progress.finished(result)
        self._outcome = result
        self._result = (
            result
            if result.completed
            else Failed(message=result.error, data=RecordingFailed(result))
        )
        return True

    def _finish(
        self, engine: Engine, settings: Settings, exc: BaseException | None
    ) -> RecordingOutcome:
        recording = self._recording
        recording_id = recording.recording_id if recording else None
        note = None
        with self._held:
            if exc is None and isinstance(recording, Ingested):
                recordings.complete_recording(engine, recording.recording_id)
                note = None if recording.todo else ALREADY_STORED
        stage, reason, bad_input = self._failure(engine, exc)
        if stage is not None and reason is not None:
            report_stage_failure(settings.reporting, recording_id, stage, reason, bad_input)
        result = outcome(
            engine, self.source, recording_id, note, f"{stage}: {reason}" if reason else None
        )
        record_pipeline_run(engine, FLOW, result.status, self._started_at, recording_id)
        if recording_id is not None:
            publish_notes(engine, settings.notices, recording_id)
        if note != ALREADY_STORED:
            notify.announce(settings.notices, result, links(settings.notices, recording_id))
        return result

    def _failure(
        self, engine: Engine, exc: BaseException | None
    ) -> tuple[str | None, str | None, bool]:
        """The failed stage, its one-line reason, and whether the input was at fault."""
        if isinstance(self._recording, Rejected):
            return Stage.INGEST, self._recording.reason, True
        if isinstance(exc, StageFailed):
            return exc.stage, exc.reason, isinstance(exc.__cause__, BadInput)
        if exc is None:
            return None, None, False
        reason = one_line(exc)
        if self._recording is None:  # ingest gave up (a download, the database): keep it
            try:
                recordings.record_unreadable(engine, self.source, f"{Stage.INGEST}: {reason}")
            except Exception:  # noqa: BLE001 - the run's report below still says why
                get_run_logger().error("could not store the failure: %s", reason)
            return Stage.INGEST, reason, False
        return "pipeline", reason, False


def publish_notes(engine: Engine, notices: NoticesConfig, recording_id: int) -> None:
    """The recording's notes as the run's artifact, with where to get them and the
    transcript."""
    detail = views.recording_detail(engine, recording_id)
    if detail is None:
        return
    page = f"/recordings/{recording_id}"
    notes = link(notices.access, page)
    if notes:
        formats = [fmt for fmt in export.FORMATS if fmt != "notes"]
        transcript = ", ".join(
            f"[{fmt}]({link(notices.access, f'{page}/transcript.{fmt}')})" for fmt in formats
        )
        where = f"Notes linked to the transcript: [notes]({notes}). Transcript: {transcript}"
    else:
        where = (
            f"Notes linked to the transcript: `mumu export {recording_id} --format notes`. "
            f"Transcript: `mumu export {recording_id} --format srt` (or txt, vtt, json)"
        )
    create_markdown_artifact(
        key=artifact_key(recording_id),
        markdown=f"{export.notes_markdown(detail)}\n{where}\n",
        description=f"recording {recording_id}: {detail.status}",
    )
