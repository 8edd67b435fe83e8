"""Audio: decode to 16 kHz mono and record what the file holds."""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session

from mumu import audio
from mumu.db import store
from mumu.settings import Settings
from mumu.stages import AUDIO, AUDIO_KEY


@task(name="audio", cache_policy=NO_CACHE)
def decode_recording(recording_id: int, path: str, settings: Settings) -> audio.DecodedAudio:
    def save(session: Session, decoded: audio.DecodedAudio) -> None:
        store.update_recording(
            session,
            recording_id,
            duration_s=round(decoded.duration_s, 3),
            channels=decoded.info.channels,
            sample_rate=decoded.info.sample_rate,
        )

    decoded = store.run_stage(
        store.engine_for(settings),
        recording_id,
        AUDIO,
        AUDIO_KEY,
        lambda: audio.decode(Path(path), settings.max_duration.total_seconds()),
        save,
    )
    get_run_logger().info(
        "decoded %.1f s of audio (%d channels at %d Hz)",
        decoded.duration_s,
        decoded.info.channels,
        decoded.info.sample_rate,
    )
    return decoded
