"""Insights: title, summary, action items and chapters from the stored transcript."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from mumu.db import store
from mumu.db.models import Insight, Recording, Segment
from mumu.llm.client import get_llm
from mumu.llm.insights import PROMPT_VERSION, InsightsResult, TimedText, generate_insights
from mumu.settings import Settings
from mumu.stages import INSIGHTS, NO_LLM_REASON, planned_keys

EMPTY_TRANSCRIPT_REASON = "empty transcript: no speech to summarise"


@task(name="insights", cache_policy=NO_CACHE)
def summarize_recording(recording_id: int, settings: Settings) -> str | None:
    """Returns the title, or None when the stage was skipped."""
    engine = store.engine_for(settings)
    key = planned_keys(settings)[INSIGHTS]
    if not settings.llm_configured:
        _skip(engine, recording_id, key, NO_LLM_REASON)
        return None
    with store.transaction(engine) as session:
        recording = session.get(Recording, recording_id)
        duration_s = recording.duration_s or 0.0 if recording else 0.0
        lines = [
            TimedText(start=segment.start, text=segment.text)
            for segment in session.exec(
                select(Segment)
                .where(Segment.recording_id == recording_id)
                .order_by(col(Segment.idx))
            )
        ]
    if not lines:
        _skip(engine, recording_id, key, EMPTY_TRANSCRIPT_REASON)
        return None

    def save(session: Session, result: InsightsResult) -> None:
        insight = Insight(
            recording_id=recording_id,
            title=result.insights.title,
            summary=result.insights.summary,
            action_items=[item.model_dump() for item in result.insights.action_items],
            chapters=[chapter.model_dump() for chapter in result.insights.chapters],
            model=settings.llm_model,
            prompt_version=PROMPT_VERSION,
            prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=result.usage.completion_tokens,
            llm_calls=result.usage.calls,
        )
        store.replace_insight(session, recording_id, insight)

    result = store.run_stage(
        engine,
        recording_id,
        INSIGHTS,
        key,
        lambda: generate_insights(
            lines, duration_s, get_llm(settings), settings.llm_context_tokens
        ),
        save,
    )
    get_run_logger().info(
        "insights from %d LLM calls (%s mode): %d prompt and %d completion tokens",
        result.usage.calls,
        result.mode,
        result.usage.prompt_tokens,
        result.usage.completion_tokens,
    )
    return result.insights.title


def _skip(engine: Engine, recording_id: int, key: str, reason: str) -> None:
    get_run_logger().warning("insights skipped: %s", reason)
    store.skip_stage(
        engine,
        recording_id,
        INSIGHTS,
        key,
        reason,
        lambda session: store.delete_insight(session, recording_id),
    )
