"""Read models of stored recordings: what the command line, exports and artifacts show.

Plain dataclasses, so callers read attributes, not string keys; ``asdict`` gives the
JSON that ``mumu list --json`` and ``mumu show --json`` print. Each read is one
transaction, retried when the connection drops under it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from mumu.db.engine import retrying, transaction
from mumu.db.models import (
    Insight,
    MetricTotal,
    Recording,
    Segment,
    Stage,
    StageRun,
    Transcript,
    row_id,
)
from mumu.speakers import speaker_name
from mumu.speech import languages_spoken


@dataclass(frozen=True)
class RecordingRow:
    id: int
    source: str
    sha256: str | None
    status: str
    error: str | None
    duration_s: float | None
    language: str | None


@dataclass(frozen=True)
class SegmentView:
    start: float
    end: float
    text: str
    words: list[dict[str, Any]]
    flag: str | None = None
    language: str | None = None
    channel: int | None = None
    voice: int | None = None
    speaker: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class SpeakerView:
    number: int
    name: str


@dataclass(frozen=True)
class TranscriptView:
    text: str
    language: str | None
    model: str
    segments: list[SegmentView]
    languages: list[str] = field(default_factory=list)
    speakers: list[SpeakerView] = field(default_factory=list)


@dataclass(frozen=True)
class EvidenceView:
    """A segment a claim cites; ``start`` is None where the transcript no longer has it."""

    segment: int
    start: float | None


@dataclass(frozen=True)
class ClaimView:
    text: str
    evidence: list[EvidenceView] = field(default_factory=list)


@dataclass(frozen=True)
class ActionItemView:
    task: str
    owner: str | None = None
    due: str | None = None
    evidence: list[EvidenceView] = field(default_factory=list)


@dataclass(frozen=True)
class ChapterView:
    start: float
    title: str
    evidence: list[EvidenceView] = field(default_factory=list)


@dataclass(frozen=True)
class DroppedView:
    """A claim of the LLM not stored (``kind`` summary, action item, chapter), or an
    owner or due date struck from an action item, and why."""

    kind: str
    text: str
    reason: str


@dataclass(frozen=True)
class InsightsView:
    title: str
    summary: str
    action_items: list[ActionItemView]
    chapters: list[ChapterView]
    model: str
    prompt_tokens: int
    completion_tokens: int
    summary_claims: list[ClaimView] = field(default_factory=list)
    dropped: list[DroppedView] = field(default_factory=list)


@dataclass(frozen=True)
class StageView:
    name: str
    status: str
    attempts: int
    duration_s: float | None
    error: str | None


@dataclass(frozen=True)
class RecordingDetail(RecordingRow):
    transcript: TranscriptView | None
    insights: InsightsView | None
    stages: list[StageView]


@dataclass(frozen=True)
class RecordingFilter:
    """Which recordings a listing shows; ``source`` is a glob (``*`` and ``?``)."""

    status: str | None = None
    since: datetime | None = None
    source: str | None = None
    language: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.status:
            clauses.append(col(Recording.status) == self.status)
        if self.since:
            clauses.append(col(Recording.created_at) >= self.since)
        if self.source:
            clauses.append(col(Recording.source).like(like_pattern(self.source), escape="\\"))
        if self.language:
            clauses.append(col(Recording.language) == self.language)
        return clauses


LISTED = [
    col(Recording.id),
    col(Recording.source),
    col(Recording.sha256),
    col(Recording.status),
    col(Recording.error),
    col(Recording.duration_s),
    col(Recording.language),
]


@retrying
def count_recordings(engine: Engine, chosen: RecordingFilter) -> int:
    """How many recordings a listing has; by status alone it is read from the running
    totals the metrics keep (a count of every row grows with the library)."""
    with engine.connect() as connection:
        if chosen.since or chosen.source or chosen.language:
            query = sa_select(func.count()).select_from(Recording).where(*chosen.where())
            return int(connection.execute(query).scalar_one())
        counted = sa_select(func.coalesce(func.sum(col(MetricTotal.value)), 0)).where(
            col(MetricTotal.metric) == "mumu_recordings"
        )
        if chosen.status:
            counted = counted.where(col(MetricTotal.label_a) == chosen.status)
        return round(connection.execute(counted).scalar_one())


def page_of_recordings(
    engine: Engine, chosen: RecordingFilter, limit: int | None, offset: int = 0
) -> Iterator[RecordingRow]:
    """Newest first, read as they are printed: memory does not grow with the page."""
    query = (
        sa_select(*LISTED)
        .where(*chosen.where())
        .order_by(col(Recording.id).desc())
        .offset(offset)
        .limit(limit)
    )
    with engine.connect() as connection:
        for row in connection.execution_options(yield_per=500).execute(query):
            yield RecordingRow(**row._mapping)


def like_pattern(glob: str) -> str:
    escaped = glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


@retrying
def recording_row(engine: Engine, recording_id: int) -> RecordingRow | None:
    with transaction(engine) as session:
        recording = session.get(Recording, recording_id)
        return _row(recording) if recording is not None else None


@retrying
def insights_of(engine: Engine, recording_id: int) -> InsightsView | None:
    with transaction(engine) as session:
        return _insights(session, recording_id)


@retrying
def segments_of(engine: Engine, recording_id: int) -> list[SegmentView]:
    with transaction(engine) as session:
        recording = session.get(Recording, recording_id)
        return _segments(session, recording_id, recording.speakers if recording else None)


@retrying
def recording_detail(engine: Engine, recording_id: int) -> RecordingDetail | None:
    with transaction(engine) as session:
        recording = session.get(Recording, recording_id)
        if recording is None:
            return None
        transcript = session.exec(
            select(Transcript).where(Transcript.recording_id == recording_id)
        ).first()
        order = list(Stage)
        stages = sorted(
            session.exec(select(StageRun).where(StageRun.recording_id == recording_id)).all(),
            key=lambda run: order.index(Stage(run.stage)),
        )
        row = _row(recording)
        return RecordingDetail(
            **vars(row),
            transcript=(
                _transcript(transcript, _segments(session, recording_id, recording.speakers))
                if transcript
                else None
            ),
            insights=_insights(session, recording_id),
            stages=[
                StageView(run.stage, run.status, run.attempts, run.duration_s, run.error)
                for run in stages
            ],
        )


def _row(recording: Recording) -> RecordingRow:
    return RecordingRow(
        id=row_id(recording),
        source=recording.source,
        sha256=recording.sha256,
        status=recording.status,
        error=recording.error,
        duration_s=recording.duration_s,
        language=recording.language,
    )


def _transcript(transcript: Transcript, segments: list[SegmentView]) -> TranscriptView:
    """The transcript with every language spoken in it, most spoken first, and its
    speakers in number order."""
    numbered = {
        number: s.speaker
        for s in segments
        if (number := s.channel or s.voice) is not None and s.speaker is not None
    }
    return TranscriptView(
        transcript.text,
        transcript.language,
        transcript.model,
        segments,
        languages_spoken(segments),
        [SpeakerView(number, name) for number, name in sorted(numbered.items())],
    )


def _segments(
    session: Session, recording_id: int, names: dict[str, str] | None
) -> list[SegmentView]:
    segments = session.exec(
        select(Segment).where(Segment.recording_id == recording_id).order_by(col(Segment.idx))
    ).all()
    return [
        SegmentView(
            s.start,
            s.end,
            s.text,
            s.words,
            s.flag,
            s.language,
            s.channel,
            s.voice,
            speaker_name(s.channel, s.voice, names),
            s.id,
        )
        for s in segments
    ]


def _insights(session: Session, recording_id: int) -> InsightsView | None:
    insight = session.exec(select(Insight).where(Insight.recording_id == recording_id)).first()
    if insight is None:
        return None
    starts = dict(
        session.execute(
            select(Segment.id, Segment.start).where(Segment.recording_id == recording_id)
        ).all()
    )

    def evidence(claim: dict[str, Any]) -> list[EvidenceView]:
        return [EvidenceView(i, starts.get(i)) for i in claim.get("evidence", [])]

    return InsightsView(
        title=insight.title,
        summary=insight.summary,
        action_items=[
            ActionItemView(item["task"], item.get("owner"), item.get("due"), evidence(item))
            for item in insight.action_items
        ],
        chapters=[
            ChapterView(chapter["start"], chapter["title"], evidence(chapter))
            for chapter in insight.chapters
        ],
        model=insight.model,
        prompt_tokens=insight.prompt_tokens,
        completion_tokens=insight.completion_tokens,
        summary_claims=[
            ClaimView(claim["text"], evidence(claim)) for claim in insight.summary_claims or []
        ],
        dropped=[DroppedView(**dropped) for dropped in insight.dropped or []],
    )
