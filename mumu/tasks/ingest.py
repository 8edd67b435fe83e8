"""The ingest stage as a Prefect task; retried when the failure may pass (a download
timeout, a dropped database connection), never for a source that cannot be read."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from mumu import progress
from mumu.db.engine import engine_for
from mumu.db.models import Stage
from mumu.intake.sources import Source, shown
from mumu.setting_groups import DatabaseConfig, IntakeConfig
from mumu.stages import ingest as stage
from mumu.tasks.retry import is_transient


@task(
    name=stage.NAME,
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=is_transient,
)
def ingest(
    source: Source,
    intake: IntakeConfig,
    planned: dict[Stage, str],
    database: DatabaseConfig,
    owner: str,
) -> stage.Ingested | stage.Rejected:
    progress.report(shown(source), stage.NAME)
    claim = (owner, database.stale_after_s)
    return stage.run(engine_for(database), source, intake, planned, claim)
