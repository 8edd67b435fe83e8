"""Transcribe: faster-whisper on the decoded audio; transcript and segments stored together."""

from __future__ import annotations

from mumu.tasks.retry import is_transient
from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session

from mumu import transcriber
from mumu.audio import DecodedAudio
from mumu.db import store
from mumu.db.models import Segment, Transcript
from mumu.settings import get_settings
from mumu.stages import TRANSCRIBE


@task(
    name="transcribe",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=is_transient,
)
def transcribe_recording(recording_id: int, decoded: DecodedAudio) -> int:
    """Returns the number of segments stored."""
    settings = get_settings()

    def save(session: Session, result: transcriber.TranscriptResult) -> None:
        transcript = Transcript(
            recording_id=recording_id,
            text=result.text,
            language=result.language,
            language_probability=result.language_probability,
            model=result.model,
            settings_key=result.settings_key,
        )
        segments = [
            Segment(
                recording_id=recording_id,
                idx=index,
                start=segment.start,
                end=segment.end,
                text=segment.text,
                avg_logprob=segment.avg_logprob,
                no_speech_prob=segment.no_speech_prob,
                words=segment.words_as_dicts(),
            )
            for index, segment in enumerate(result.segments)
        ]
        store.replace_transcript(session, recording_id, transcript, segments)
        store.update_recording(session, recording_id, language=result.language)

    result = store.run_stage(
        store.engine_for(settings),
        recording_id,
        TRANSCRIBE,
        transcriber.settings_key(settings),
        lambda: transcriber.transcribe(decoded.samples, settings),
        save,
    )
    return len(result.segments)
