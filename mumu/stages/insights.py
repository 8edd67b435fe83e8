"""Insights: title, summary, action items and chapters from the stored transcript.

With no LLM configured, or nothing said, the stage is recorded as skipped with the
reason, and any notes from an earlier run are removed in the same transaction. The
LLM client is built on first use; planning reads the options here without it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, delete
from sqlmodel import Session, col

from mumu.channels import spoken_by
from mumu.db import views
from mumu.db.models import Insight, Stage
from mumu.db.runs import run_stage, skip_stage
from mumu.llm.insights import PROMPT_VERSION, InsightsResult, TimedText, generate_insights
from mumu.settings import Settings
from mumu.stages.transcribe import TranscribeOptions

NAME = Stage.INSIGHTS
NO_LLM_REASON = "no LLM endpoint configured (set OPENAI_BASE_URL or OPENAI_API_KEY)"
EMPTY_TRANSCRIPT_REASON = "empty transcript: no speech to summarise"


@dataclass(frozen=True)
class InsightsOptions:
    llm_model: str | None
    context_tokens: int
    transcript_key: str

    @classmethod
    def from_settings(cls, settings: Settings) -> InsightsOptions:
        return cls(
            llm_model=settings.llm_model if settings.llm_configured else None,
            context_tokens=settings.llm_context_tokens,
            transcript_key=TranscribeOptions.from_settings(settings).key,
        )

    @property
    def key(self) -> str:
        """The notes follow the transcript: a new transcript means new notes."""
        if self.llm_model is None:
            return f"no-llm|{self.transcript_key}"
        return f"prompt={PROMPT_VERSION}|llm={self.llm_model}|{self.transcript_key}"


@dataclass(frozen=True)
class InsightsOutcome:
    """The notes made, or why there are none."""

    result: InsightsResult | None
    skipped: str | None = None


def run(engine: Engine, recording_id: int, settings: Settings) -> InsightsOutcome:
    options = InsightsOptions.from_settings(settings)
    if options.llm_model is None:
        return _skip(engine, recording_id, options, NO_LLM_REASON)
    row = views.recording_row(engine, recording_id)
    lines = [
        TimedText(s.start, spoken_by(s.speaker) + s.text)
        for s in views.segments_of(engine, recording_id)
        if not s.flag
    ]
    if not lines:
        return _skip(engine, recording_id, options, EMPTY_TRANSCRIPT_REASON)
    duration_s = row.duration_s or 0.0 if row else 0.0

    def work() -> InsightsResult:
        from mumu.llm.client import get_llm

        return generate_insights(lines, duration_s, get_llm(settings), options.context_tokens)

    result = run_stage(
        engine,
        recording_id,
        NAME,
        options.key,
        work,
        lambda session, result: save(session, recording_id, result, options),
    )
    return InsightsOutcome(result)


def save(
    session: Session, recording_id: int, result: InsightsResult, options: InsightsOptions
) -> None:
    session.execute(delete(Insight).where(col(Insight.recording_id) == recording_id))
    session.flush()
    session.add(
        Insight(
            recording_id=recording_id,
            title=result.insights.title,
            summary=result.insights.summary,
            action_items=[item.model_dump() for item in result.insights.action_items],
            chapters=[chapter.model_dump() for chapter in result.insights.chapters],
            model=options.llm_model or "",
            prompt_version=PROMPT_VERSION,
            prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=result.usage.completion_tokens,
            llm_calls=result.usage.calls,
        )
    )


def _skip(
    engine: Engine, recording_id: int, options: InsightsOptions, reason: str
) -> InsightsOutcome:
    def clear_stale_notes(session: Session) -> None:
        session.execute(delete(Insight).where(col(Insight.recording_id) == recording_id))

    skip_stage(engine, recording_id, NAME, options.key, reason, clear_stale_notes)
    return InsightsOutcome(None, skipped=reason)
