"""Insights: title, summary, action items and chapters from the stored transcript.

With no LLM configured, or nothing said, the stage is recorded as skipped with the
reason, and any notes from an earlier run are removed in the same transaction. The
LLM client is built on first use; planning reads the options here without it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import Engine, delete
from sqlmodel import Session, col

from mumu.db import views
from mumu.db.models import Insight, Stage
from mumu.db.runs import run_stage, skip_stage
from mumu.llm.budget import Budget, Waiting
from mumu.llm.grounding import Said, Transcript
from mumu.llm.insights import PROMPT_VERSION, InsightsResult, chapter_start, generate_insights
from mumu.setting_groups import LLMConfig
from mumu.speakers import spoken_by

NAME = Stage.INSIGHTS
NO_LLM_REASON = "no LLM endpoint configured (set OPENAI_BASE_URL or OPENAI_API_KEY)"
EMPTY_TRANSCRIPT_REASON = "empty transcript: no speech to summarise"


@dataclass(frozen=True)
class InsightsOptions:
    llm_model: str | None
    context_tokens: int
    transcript_key: str

    @classmethod
    def of(cls, llm: LLMConfig, transcript_key: str) -> InsightsOptions:
        return cls(
            llm_model=llm.model if llm.configured else None,
            context_tokens=llm.context_tokens,
            transcript_key=transcript_key,
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


def run(
    engine: Engine,
    recording_id: int,
    llm: LLMConfig,
    transcript_key: str,
    on_wait: Waiting | None = None,
) -> InsightsOutcome:
    """The notes, within the ``llm.budget_s`` of the recording; ``on_wait`` hears how long
    the LLM has been at it while a request is out."""
    options = InsightsOptions.of(llm, transcript_key)
    if options.llm_model is None:
        return _skip(engine, recording_id, options, NO_LLM_REASON)
    said = [
        Said(s.id, s.start, spoken_by(s.speaker) + s.text)
        for s in views.segments_of(engine, recording_id)
        if not s.flag and s.id is not None
    ]
    if not said:
        return _skip(engine, recording_id, options, EMPTY_TRANSCRIPT_REASON)

    def work() -> InsightsResult:
        from mumu.llm.client import get_llm

        budget = Budget(llm.budget_s, "the notes", "MUMU_LLM_BUDGET_S", on_wait)
        return generate_insights(said, get_llm(llm), options.context_tokens, budget)

    transcript = Transcript(said)
    result = run_stage(
        engine,
        recording_id,
        NAME,
        options.key,
        work,
        lambda session, result: save(session, recording_id, result, transcript, options),
    )
    return InsightsOutcome(result)


def save(
    session: Session,
    recording_id: int,
    result: InsightsResult,
    transcript: Transcript,
    options: InsightsOptions,
) -> None:
    """The notes as they held against the transcript, and what was dropped, with why."""
    notes = result.notes
    session.execute(delete(Insight).where(col(Insight.recording_id) == recording_id))
    session.flush()
    session.add(
        Insight(
            recording_id=recording_id,
            title=notes.title,
            summary=" ".join(claim.text for claim in notes.summary),
            summary_claims=[claim.model_dump() for claim in notes.summary],
            action_items=[item.model_dump() for item in notes.action_items],
            chapters=[
                {"start": chapter_start(c, transcript)} | c.model_dump() for c in notes.chapters
            ],
            dropped=[asdict(d) for d in result.dropped],
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
