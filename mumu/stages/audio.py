"""Audio: decode to 16 kHz, each channel kept, and record what the file holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from mumu.db.models import Stage
from mumu.db.recordings import update_recording
from mumu.db.runs import run_stage
from mumu.setting_groups import IntakeConfig
from mumu.transcription import audio, channels

NAME = Stage.AUDIO


@dataclass(frozen=True)
class AudioOptions:
    max_duration_s: float

    @property
    def key(self) -> str:
        """The limit refuses recordings; it does not change what an accepted one decodes to.
        Channels with a speaker each are transcribed apart (``mumu.transcription.channels``);
        migration 0008 keeps mono recordings decoded before that current."""
        return f"pyav-{audio.SAMPLE_RATE // 1000}k-channels-{channels.VERSION}"


def run(engine: Engine, recording_id: int, path: Path, intake: IntakeConfig) -> audio.DecodedAudio:
    options = AudioOptions(max_duration_s=intake.max_duration_s)
    return run_stage(
        engine,
        recording_id,
        NAME,
        options.key,
        lambda: audio.decode(path, options.max_duration_s),
        lambda session, decoded: save(session, recording_id, decoded),
    )


def save(session: Session, recording_id: int, decoded: audio.DecodedAudio) -> None:
    update_recording(
        session,
        recording_id,
        duration_s=round(decoded.duration_s, 3),
        channels=decoded.info.channels,
        sample_rate=decoded.info.sample_rate,
    )
