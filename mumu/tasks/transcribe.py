"""The transcribe stage as a Prefect task; retried unless the set-up is at fault."""

from __future__ import annotations

import time

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from mumu import progress
from mumu.db.engine import engine_for
from mumu.setting_groups import DatabaseConfig
from mumu.stages import transcribe as stage
from mumu.stages.ingest import Ingested
from mumu.tasks.retry import is_transient
from mumu.transcription.audio import DecodedAudio
from mumu.transcription.fallback import described
from mumu.transcription.options import TranscribeOptions


@task(
    name=stage.NAME,
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=is_transient,
)
def transcribe(
    recording: Ingested,
    decoded: DecodedAudio,
    options: TranscribeOptions,
    database: DatabaseConfig,
) -> int:
    """Returns the number of segments stored."""
    progress.report(recording.source, stage.NAME)
    started = time.monotonic()
    result = stage.run(engine_for(database), recording.recording_id, decoded, options)
    get_run_logger().info(
        "transcribed %.1f s of audio into %d segments in %.1f s (%s%s)",
        decoded.duration_s,
        len(result.segments),
        time.monotonic() - started,
        result.options.key,
        f"; {described(result.fallback)}" if result.fallback else "",
    )
    return len(result.segments)
