"""Many recordings at once: expand paths, settle what needs no run (refusals, recordings
already stored) in one task, fan the rest out with bounded concurrency, report."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import cast
from uuid import UUID

import httpx
from prefect import flow, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.futures import PrefectFuture, as_completed
from prefect.runtime import task_run
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import SecretStr

from mumu import notify
from mumu.blocks import settings_from_blocks
from mumu.db.engine import engine_for
from mumu.db.models import RecordingStatus, utcnow
from mumu.db.runs import record_pipeline_run
from mumu.errors import ConfigurationError, one_line
from mumu.flows.process_recording import run_stages
from mumu.flows.recording_run import RecordingRun
from mumu.flows.states import configuration_failed
from mumu.intake.sources import Source, expand, shown
from mumu.library.export import clock, markdown_text
from mumu.links import artifact_link
from mumu.outcome import RecordingOutcome
from mumu.settings import Settings
from mumu.stages.screen import Screened
from mumu.tasks.retry import is_orchestration_failure
from mumu.tasks.screen import screen_sources

NOT_RUN = "not processed, left for the next run (the Prefect API did not take its run)"
API_RETRY_DELAYS_S: list[float] = [10, 30, 90]
"""After the client's own retries (about a minute): a busy API slows the batch down."""


def recording_name() -> str:
    """A recording's task run is named by its source, without a URL's credentials."""
    source = task_run.parameters.get("source")
    return shown(source) if isinstance(source, str | SecretStr) else "recording"


@task(
    name="recording",
    task_run_name=recording_name,
    cache_policy=NO_CACHE,
    retries=3,
    retry_delay_seconds=API_RETRY_DELAYS_S,
    retry_condition_fn=is_orchestration_failure,
)
def run_recording(source: Source, settings: Settings) -> RecordingOutcome:
    """One recording's stages as nested task runs; its failure is an outcome, not the
    batch's failure. An error of the Prefect API (beyond its client's own retries) is
    tried again later, then the recording is left for the next run; anything else this
    raises (a database that cannot store even the failure) is the recording's failure."""
    with RecordingRun(source) as run:
        run_stages(source, run.use(settings), run)
    return run.outcome


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
    screened = screen_sources(sources, settings)
    runner: ThreadPoolTaskRunner[RecordingOutcome] = ThreadPoolTaskRunner(
        max_workers=settings.batch_concurrency
    )
    shown_progress = BatchProgress(len(sources), screened)
    with runner:
        futures: dict[PrefectFuture[RecordingOutcome], str] = {
            runner.submit(run_recording, {"source": source, "settings": settings}): shown(source)
            for source in screened.todo
        }
        ran: dict[str, RecordingOutcome] = {}
        for future in as_completed(list(futures)):
            label = futures[future]
            ran[label] = _outcome(label, future.result(raise_on_failure=False))
            shown_progress.add(ran[label])
    outcomes = [screened.settled.get(shown(s)) or ran[shown(s)] for s in sources]
    publish_table(outcomes)
    failed = not all(outcome.completed for outcome in outcomes)
    status = RecordingStatus.FAILED if failed else RecordingStatus.COMPLETED
    record_pipeline_run(engine_for(settings.database), "process-batch", status, started_at, None)
    return outcomes


class BatchProgress:
    """The batch's progress in the Prefect UI: done, failed and left, and when the rest
    should be done at the pace so far; updated every few seconds, not for every one of
    a thousand short recordings, and when the last is done."""

    UPDATE_EVERY_S = 2.0

    def __init__(self, total: int, screened: Screened) -> None:
        self.total = total
        self.done = len(screened.settled)
        self.failed = len(screened.refused)
        self.started = self.updated = time.monotonic()
        self.ran = 0
        created = create_progress_artifact(self._percent(), description=self._said())
        self.artifact = cast(UUID, created)

    def add(self, outcome: RecordingOutcome) -> None:
        self.done += 1
        self.ran += 1
        self.failed += not outcome.completed
        now = time.monotonic()
        if now - self.updated >= self.UPDATE_EVERY_S or self.done == self.total:
            self.updated = now
            update_progress_artifact(self.artifact, self._percent(), description=self._said())

    def _percent(self) -> float:
        return 100.0 * self.done / self.total if self.total else 100.0

    def _said(self) -> str:
        left = self.total - self.done
        said = f"{self.done} of {self.total} done, {self.failed} failed, {left} left"
        if self.ran and left:
            per_recording = (time.monotonic() - self.started) / self.ran
            said += f", about {clock(per_recording * left)} to go"
        return said


def _outcome(label: str, result: RecordingOutcome | BaseException) -> RecordingOutcome:
    """A recording's row: its outcome, or what stopped its run. What the Prefect API did
    not take is left pending for the next run; anything else (its failure could not even
    be stored) is a failure."""
    if isinstance(result, RecordingOutcome):
        return result
    if isinstance(result, httpx.HTTPError):
        error = f"{NOT_RUN}: {one_line(result)}"
        return RecordingOutcome(label, RecordingStatus.PENDING, error=error)
    return RecordingOutcome(label, RecordingStatus.FAILED, error=f"pipeline: {one_line(result)}")


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
