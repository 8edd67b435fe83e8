"""Many recordings at once: expand paths, fan out with bounded concurrency, report."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.task_runners import ThreadPoolTaskRunner

from mumu import notify
from mumu.blocks import settings_from_blocks
from mumu.db.engine import engine_for
from mumu.db.models import RecordingStatus, utcnow
from mumu.db.runs import record_pipeline_run
from mumu.errors import ConfigurationError
from mumu.flows.process_recording import process_recording
from mumu.flows.recording_run import artifact_link
from mumu.flows.states import configuration_failed
from mumu.intake.sources import Source, expand, shown
from mumu.library.export import clock, markdown_text
from mumu.outcome import RecordingFailed, RecordingOutcome


@task(name="recording", cache_policy=NO_CACHE)
def run_recording(source: Source, blocks: dict[str, str | None]) -> RecordingOutcome:
    """Runs the recording's subflow; its failure is an outcome, not the batch's failure."""
    state = process_recording(source, **blocks, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, RecordingFailed):
        return result.outcome
    if isinstance(result, RecordingOutcome):
        return result
    error = state.message or str(result)
    return RecordingOutcome(shown(source), RecordingStatus.FAILED, error=error)


@flow(name="process-batch")
def process_batch(
    paths: Sequence[Source],
    whisper_block: str | None = None,
    llm_block: str | None = None,
    database_block: str | None = None,
    vocabulary: str | None = None,
) -> list[RecordingOutcome] | State:
    """Process files, folders (recursively) and globs, a few recordings at a time."""
    blocks = {
        "whisper_block": whisper_block,
        "llm_block": llm_block,
        "database_block": database_block,
        "vocabulary": vocabulary,
    }
    try:
        settings = settings_from_blocks(**blocks)
        notify.check(settings.notices)
    except ConfigurationError as exc:
        return configuration_failed(exc)
    started_at = utcnow()
    sources = expand(paths)
    runner: ThreadPoolTaskRunner[RecordingOutcome] = ThreadPoolTaskRunner(
        max_workers=settings.batch_concurrency
    )
    with runner:
        futures = [
            runner.submit(run_recording, {"source": source, "blocks": blocks}) for source in sources
        ]
        outcomes = [future.result() for future in futures]
    publish_table(outcomes)
    failed = not all(outcome.completed for outcome in outcomes)
    status = RecordingStatus.FAILED if failed else RecordingStatus.COMPLETED
    record_pipeline_run(engine_for(settings.database), "process-batch", status, started_at, None)
    return outcomes


def publish_table(outcomes: list[RecordingOutcome]) -> None:
    """The batch as a table whose rows link to each recording's notes artifact."""
    from prefect.settings import PREFECT_UI_URL

    ui = PREFECT_UI_URL.value() or ""
    rows = ["| recording | file | status | duration | title or error |", "|---|---|---|---|---|"]
    for outcome in outcomes:
        number = "–"
        if outcome.recording_id is not None:
            number = f"[{outcome.recording_id}]({artifact_link(outcome.recording_id, ui)})"
        duration = clock(outcome.duration_s) if outcome.duration_s is not None else ""
        said = outcome.error or outcome.title or ""
        cells = [
            number,
            markdown_text(outcome.source),
            outcome.status,
            duration,
            markdown_text(said),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    failed = sum(not outcome.completed for outcome in outcomes)
    create_markdown_artifact(
        key="mumu-batch",
        markdown=f"# Batch: {len(outcomes)} recordings, {failed} failed\n\n"
        + "\n".join(rows)
        + "\n",
        description=f"{len(outcomes)} recordings",
    )
