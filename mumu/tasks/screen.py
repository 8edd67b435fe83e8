"""The screen as a Prefect task: one task run for a whole batch, however many files it
refuses (``mumu.refusals``)."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE

from mumu.intake.sources import Source
from mumu.refusals import screen_and_report
from mumu.settings import Settings
from mumu.stages.screen import Screened
from mumu.tasks.retry import is_transient


@task(
    name="screen",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=is_transient,
)
def screen_sources(sources: Sequence[Source], settings: Settings) -> Screened:
    return screen_and_report(sources, settings)
