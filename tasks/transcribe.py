"""Transcribe: faster-whisper on the decoded audio; transcript and segments stored together."""

from __future__ import annotations

import time

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session

from mumu import transcriber
from mumu.audio import DecodedAudio
from mumu.db import store
from mumu.db.models import Segment, Transcript
from mumu.settings import Settings
from mumu.stages import TRANSCRIBE
from mumu.tasks.retry import is_transient


@task(
    name="transcribe",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=is_transient,
)
def transcribe_recording(recording_id: int, decoded: DecodedAudio, settings: Settings) -> int:
    """Returns the number of segments stored."""

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

    started = time.monotonic()
    result = store.run_stage(
        store.engine_for(settings),
        recording_id,
        TRANSCRIBE,
        transcriber.settings_key(settings),
        lambda: transcriber.transcribe(decoded.samples, settings),
        save,
    )
    elapsed = time.monotonic() - started
    get_run_logger().info(
        "transcribed %.1f s of audio into %d segments in %.1f s (%s)",
        decoded.duration_s,
        len(result.segments),
        elapsed,
        result.settings_key,
    )
    return len(result.segments)
