"""The audio stage as a Prefect task."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from mumu import progress
from mumu.db.engine import engine_for
from mumu.setting_groups import DatabaseConfig, IntakeConfig
from mumu.stages import audio as stage
from mumu.stages.ingest import Ingested
from mumu.transcription.audio import DecodedAudio


@task(name=stage.NAME, cache_policy=NO_CACHE)
def decode_audio(
    recording: Ingested, intake: IntakeConfig, database: DatabaseConfig
) -> DecodedAudio:
    progress.report(recording.source, stage.NAME)
    decoded = stage.run(engine_for(database), recording.recording_id, recording.path, intake)
    get_run_logger().info(
        "decoded %.1f s of audio (%d channels at %d Hz, audio stream %d of %d)",
        decoded.duration_s,
        decoded.info.channels,
        decoded.info.sample_rate,
        decoded.info.stream + 1,
        decoded.info.streams,
    )
    return decoded
