"""Which stages a recording still needs: those whose stored key is not what the current
settings would produce, and every stage after them.

A second run over the same files does nothing; a changed LLM prompt or model re-runs
only the insights; a changed Whisper option re-transcribes (and so re-summarises).
``already_stored`` answers "is there anything to do?" from the database alone, without
Prefect, the model or the LLM client.
"""

from __future__ import annotations

from sqlalchemy import Engine

from mumu.db import recordings
from mumu.db.models import Stage
from mumu.db.runs import completed_stage_keys
from mumu.errors import BadInput
from mumu.intake.download import is_url, redact_url
from mumu.intake.sources import open_recording
from mumu.setting_groups import IntakeConfig
from mumu.settings import Settings
from mumu.stages.audio import AudioOptions
from mumu.stages.insights import InsightsOptions

ORDER = list(Stage)


def planned_keys(settings: Settings) -> dict[Stage, str]:
    """Each stage's key under this configuration: read at the edge, where it is resolved."""
    transcript_key = settings.transcription.key
    return {
        Stage.AUDIO: AudioOptions(settings.intake.max_duration_s).key,
        Stage.TRANSCRIBE: transcript_key,
        Stage.INSIGHTS: InsightsOptions.of(settings.llm, transcript_key).key,
    }


def stages_to_run(planned: dict[Stage, str], done: dict[Stage, str | None]) -> list[Stage]:
    """Stages whose stored output is missing or stale, plus every stage after them.

    Audio is decoded only to be transcribed, so it runs whenever transcription does.
    """
    stale = [stage for stage in planned if done.get(stage) != planned[stage]]
    if not stale:
        return []
    if min(ORDER.index(stage) for stage in stale) == ORDER.index(Stage.INSIGHTS):
        return [Stage.INSIGHTS]
    return [Stage.AUDIO, Stage.TRANSCRIBE, Stage.INSIGHTS]


def already_stored(
    engine: Engine, source: str, intake: IntakeConfig, planned: dict[Stage, str]
) -> int | None:
    """The recording's id when this content is stored and every stage is current.

    Anything else (new, stale, unreadable) goes through the flow and is reported there.
    A URL counts as stored when a completed recording has it as its source.
    """
    if is_url(source):
        recording_id = recordings.find_by_source(engine, redact_url(source))
    else:
        try:
            _, sha256, _ = open_recording(source, intake)
        except BadInput:
            return None
        recording_id = recordings.find_recording(engine, sha256)
    if recording_id is None:
        return None
    if stages_to_run(planned, completed_stage_keys(engine, recording_id)):
        return None
    return recording_id
