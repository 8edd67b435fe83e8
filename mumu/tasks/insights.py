"""The insights stage as a Prefect task (LLM requests retry by their own policy)."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from mumu import progress
from mumu.db.engine import engine_for
from mumu.llm.budget import REPORT_EVERY_S
from mumu.setting_groups import DatabaseConfig, LLMConfig
from mumu.stages import insights as stage
from mumu.stages.ingest import Ingested

LOG_EVERY_S = 60


@task(name=stage.NAME, cache_policy=NO_CACHE)
def summarize(
    recording: Ingested, llm: LLMConfig, transcript_key: str, database: DatabaseConfig
) -> str | None:
    """Returns the title, or None when the stage was skipped; ``transcript_key`` is the
    key of the transcript the notes follow."""
    progress.report(recording.source, stage.NAME)
    logger = get_run_logger()

    def waiting(spent: float, budget: float) -> None:
        progress.report(recording.source, f"{stage.NAME} (LLM {spent:.0f} s of {budget:.0f} s)")
        if int(spent) % LOG_EVERY_S < REPORT_EVERY_S:
            logger.info("waiting for the LLM: %.0f s of the %.0f s budget", spent, budget)

    outcome = stage.run(engine_for(database), recording.recording_id, llm, transcript_key, waiting)
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
