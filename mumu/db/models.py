"""The schema: one module, every table mumu stores.

A recording's identity is the sha256 of its content; bad input that could not be read
has no hash and is keyed by its source instead. ``StageRun`` holds one row per
recording and stage, updated in place on a re-run, so history never duplicates rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from mumu.db.states import RecordingStatus, Stage, StageStatus

__all__ = ["RecordingStatus", "Stage", "StageStatus"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def row_id(row: SQLModel) -> int:
    """The id the database gave a row once it was flushed."""
    value = getattr(row, "id", None)
    if not isinstance(value, int):
        raise RuntimeError(f"{type(row).__name__} has no id: it was not flushed")
    return value


class Recording(SQLModel, table=True):
    __tablename__ = "recordings"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str | None = Field(default=None, unique=True, index=True, max_length=64)
    source: str = Field(sa_column=Column(Text, nullable=False, index=True))
    status: str = Field(default=RecordingStatus.PENDING, max_length=16)
    error: str | None = Field(default=None, sa_column=Column(Text))
    size_bytes: int | None = None
    duration_s: float | None = None
    channels: int | None = None
    sample_rate: int | None = None
    language: str | None = Field(default=None, max_length=16)
    speakers: dict[str, str] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False, server_default="{}"),
        description="Names given to speakers, by channel or voice number from 1.",
    )
    claimed_by: str | None = Field(default=None, max_length=255)
    heartbeat_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Transcript(SQLModel, table=True):
    __tablename__ = "transcripts"

    id: int | None = Field(default=None, primary_key=True)
    recording_id: int = Field(foreign_key="recordings.id", unique=True, ondelete="CASCADE")
    text: str = Field(sa_column=Column(Text, nullable=False))
    language: str | None = Field(default=None, max_length=16)
    language_probability: float | None = None
    model: str = Field(max_length=255)
    settings_key: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    fallback: str | None = Field(default=None, max_length=32)
    """What the GPU's memory running out made it need: ``batch 2``, ``int8_float16``,
    ``cpu`` (``mumu.transcription.fallback``)."""


class Segment(SQLModel, table=True):
    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("recording_id", "idx"),)

    id: int | None = Field(default=None, primary_key=True)
    recording_id: int = Field(foreign_key="recordings.id", index=True, ondelete="CASCADE")
    idx: int
    start: float
    end: float
    text: str = Field(sa_column=Column(Text, nullable=False))
    avg_logprob: float
    no_speech_prob: float
    words: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    flag: str | None = Field(
        default=None, sa_column=Column(Text), description="Why the text is not trusted."
    )
    doubt: str | None = Field(
        default=None,
        sa_column=Column(Text),
        description="Why the text, kept in the transcript, may be misheard.",
    )
    language: str | None = Field(default=None, description="Language it was decoded in.")
    channel: int | None = Field(
        default=None, description="Channel (from 1) of a recording with a speaker per channel."
    )
    voice: int | None = Field(
        default=None, description="Speaker (from 1) told apart by voice in a mixed recording."
    )


class Insight(SQLModel, table=True):
    __tablename__ = "insights"

    id: int | None = Field(default=None, primary_key=True)
    recording_id: int = Field(foreign_key="recordings.id", unique=True, ondelete="CASCADE")
    title: str = Field(sa_column=Column(Text, nullable=False))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    summary_claims: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSON),
        description="The summary's sentences, each with the ids of the segments it cites.",
    )
    action_items: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    chapters: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    dropped: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSON),
        description="Claims of the LLM not stored, or struck, with the reason.",
    )
    model: str = Field(max_length=255)
    prompt_version: str = Field(max_length=32)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_calls: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class StageRun(SQLModel, table=True):
    __tablename__ = "stage_runs"
    __table_args__ = (UniqueConstraint("recording_id", "stage"),)

    id: int | None = Field(default=None, primary_key=True)
    recording_id: int = Field(foreign_key="recordings.id", index=True, ondelete="CASCADE")
    stage: str = Field(max_length=32)
    status: str = Field(max_length=16)
    key: str | None = Field(default=None, max_length=255)
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))


class PipelineRun(SQLModel, table=True):
    """One flow run's end: what the metrics' pipeline histogram is made of."""

    __tablename__ = "pipeline_runs"

    id: int | None = Field(default=None, primary_key=True)
    flow: str = Field(max_length=64, index=True)
    status: str = Field(max_length=16)
    recording_id: int | None = Field(default=None, foreign_key="recordings.id", ondelete="SET NULL")
    started_at: datetime
    finished_at: datetime
    duration_s: float


class MetricTotal(SQLModel, table=True):
    """One label set's running total of a sidecar metric (a histogram keeps a row per
    bucket, ``count`` and ``sum``). Written only by triggers (migration 0011) as the
    rows the metric is made of change; read on each scrape."""

    __tablename__ = "metric_totals"

    metric: str = Field(primary_key=True, max_length=64)
    label_a: str = Field(primary_key=True, max_length=64)
    label_b: str = Field(primary_key=True, max_length=64)
    part: str = Field(primary_key=True, max_length=16)
    value: float


class Question(SQLModel, table=True):
    """A question asked of the recordings, its answer and the segments it cites."""

    __tablename__ = "questions"

    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=16)
    citations: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    model: str | None = Field(default=None, max_length=255)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class SegmentEmbedding(SQLModel, table=True):
    """A segment's vector from the embeddings endpoint, for hybrid search."""

    __tablename__ = "segment_embeddings"

    segment_id: int = Field(foreign_key="segments.id", primary_key=True, ondelete="CASCADE")
    model: str = Field(max_length=255, primary_key=True)
    vector: list[float] = Field(sa_column=Column(JSON, nullable=False))


class Erasure(SQLModel, table=True):
    """A recording erased with everything derived from it. Its id is never given again
    (a signed link or an artifact key names it); its content hash is kept only while
    that content is to be refused (``mumu delete --keep-refusing``)."""

    __tablename__ = "erasures"

    recording_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    sha256: str | None = Field(default=None, index=True, max_length=64)
    erased_at: datetime = Field(default_factory=utcnow)
