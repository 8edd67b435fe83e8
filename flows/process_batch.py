"""Many recordings at once: expand paths, fan out with bounded concurrency, report."""

from __future__ import annotations

from mumu.flows.process_recording import RecordingOutcome, process_recording
from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from mumu.settings import get_settings
from mumu.sources import expand


@task(name="recording", cache_policy=NO_CACHE)
def run_recording(source: str) -> RecordingOutcome:
    """Runs the recording's subflow; its failure is an outcome, not the batch's failure."""
    state = process_recording(source, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, RecordingOutcome):
        return result
    return RecordingOutcome(source=source, status="failed", error=state.message or str(result))


@flow(name="process-batch")
def process_batch(paths: list[str]) -> list[RecordingOutcome]:
    sources = expand(paths)
    runner: ThreadPoolTaskRunner[RecordingOutcome] = ThreadPoolTaskRunner(
        max_workers=get_settings().batch_concurrency
    )
    with runner:
        futures = [runner.submit(run_recording, {"source": source}) for source in sources]
        outcomes = [future.result() for future in futures]
    publish_artifacts(outcomes)
    return outcomes


def publish_artifacts(outcomes: list[RecordingOutcome]) -> None:
    create_table_artifact(
        key="mumu-batch",
        table=[
            {
                "file": outcome.source,
                "duration_s": outcome.duration_s,
                "status": outcome.status,
                "error": outcome.error or "",
            }
            for outcome in outcomes
        ],
        description=f"{len(outcomes)} recordings",
    )
    for outcome in outcomes:
        if outcome.recording_id is None or outcome.status != "completed":
            continue
        create_markdown_artifact(
            key=f"mumu-recording-{outcome.recording_id}",
            markdown=f"# {outcome.title or outcome.source}\n\n"
            f"{outcome.summary or '_No summary (LLM stage skipped)._'}\n\n"
            f"`{outcome.source}` · {outcome.duration_s or 0:.1f} s",
            description=outcome.source,
        )
