"""The insights stage as a Prefect task (LLM requests retry by their own policy)."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from mumu import progress
from mumu.db.engine import engine_for
from mumu.settings import Settings
from mumu.stages import insights as stage
from mumu.stages.ingest import Ingested


@task(name=stage.NAME, cache_policy=NO_CACHE)
def summarize(recording: Ingested, settings: Settings) -> str | None:
    """Returns the title, or None when the stage was skipped."""
    progress.report(recording.source, stage.NAME)
    outcome = stage.run(engine_for(settings), recording.recording_id, settings)
    logger = get_run_logger()
    if outcome.result is None:
        logger.warning("insights skipped: %s", outcome.skipped)
        return None
    usage = outcome.result.usage
    logger.info(
        "insights from %d LLM calls (%s mode): %d prompt and %d completion tokens; "
        "%d claims dropped or struck as not resting on the transcript",
        usage.calls,
        outcome.result.mode,
        usage.prompt_tokens,
        usage.completion_tokens,
        len(outcome.result.dropped),
    )
    return outcome.result.notes.title
