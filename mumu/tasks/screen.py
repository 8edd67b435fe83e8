"""The screen as a Prefect task: one task run for a whole batch, however many files it
refuses. Each refusal is reported and announced as a recording's own run would."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE

from mumu import notify, progress
from mumu.db.engine import engine_for
from mumu.flows.recording_run import links
from mumu.intake.sources import Source
from mumu.sentry import report_stage_failure
from mumu.settings import Settings
from mumu.stages import screen as stage
from mumu.stages.plan import planned_keys
from mumu.tasks.retry import is_transient


@task(
    name="screen",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=is_transient,
)
def screen_sources(sources: Sequence[Source], settings: Settings) -> stage.Screened:
    screened = stage.screen(
        sources, engine_for(settings.database), settings.intake, planned_keys(settings)
    )
    for refused, refusal in screened.refused:
        report_stage_failure(
            settings.reporting, refused.recording_id, refusal.stage, refusal.reason, True
        )
        notify.announce(settings.notices, refused, links(settings.notices, refused.recording_id))
        progress.finished(refused)
    return screened
