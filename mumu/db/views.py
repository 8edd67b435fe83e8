"""Read models of stored recordings: what the command line, exports and artifacts show.

Plain dataclasses, so callers read attributes, not string keys; ``asdict`` gives the
JSON that ``mumu list --json`` and ``mumu show --json`` print. Each read is SQL run on
one connection (``reading``): a read command's own, opened by the driver, or one from a
writer's engine, where it is retried when the connection drops under it (0025).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from mumu.db.owners import dead_here
from mumu.db.reading import Database, Library, from_json, reading
from mumu.db.retry import retrying
from mumu.db.states import RecordingStatus, Stage
from mumu.speakers import speaker_name
from mumu.transcription.speech import languages_spoken


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
    doubt: str | None = None


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
    fallback: str | None = None
    """What the GPU's memory running out made it need (``mumu.transcription.fallback``)."""


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
    before: datetime | None = None

    def sql(self) -> tuple[str, dict[str, Any]]:
        """A ``WHERE`` clause over ``recordings`` (empty when nothing is chosen), and its
        values."""
        clauses: list[str] = []
        values: dict[str, Any] = {}
        if self.status == RecordingStatus.PENDING:
            clauses.append("status IN (:status, 'running')")
            values["status"] = self.status
        elif self.status:
            clauses.append("status = :status")
            values["status"] = self.status
        if self.since:
            clauses.append("created_at >= :since")
            values["since"] = self.since
        if self.before:
            clauses.append("created_at < :before")
            values["before"] = self.before
        if self.source:
            clauses.append("source LIKE :source ESCAPE '\\'")
            values["source"] = like_pattern(self.source)
        if self.language:
            clauses.append("language = :language")
            values["language"] = self.language
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), values


LISTED = "id, source, sha256, status, error, duration_s, language"
SELECTED = f"{LISTED}, claimed_by"

INTERRUPTED = "interrupted: the run that held it stopped; the next mumu run goes on with it"


@retrying
def count_recordings(db: Library, chosen: RecordingFilter) -> int:
    """How many recordings a listing has; by status alone it is read from the running
    totals the metrics keep (a count of every row grows with the library)."""
    with reading(db) as database:
        if chosen.since or chosen.before or chosen.source or chosen.language:
            where, values = chosen.sql()
            counted = f"SELECT count(*) AS n FROM recordings{where}"  # noqa: S608 - values bound
            return sum(int(row["n"]) for row in database.rows(counted, values))
        statement = "SELECT COALESCE(SUM(value), 0) AS n FROM metric_totals WHERE metric = :metric"
        values = {"metric": "mumu_recordings"}
        if chosen.status:
            statement += " AND label_a = :status"
            values["status"] = chosen.status
        return round(sum(float(row["n"]) for row in database.rows(statement, values)))


def page_of_recordings(
    db: Library, chosen: RecordingFilter, limit: int | None, offset: int = 0
) -> Iterator[RecordingRow]:
    """Newest first, read as they are printed: memory does not grow with the page."""
    where, values = chosen.sql()
    statement = (
        f"SELECT {SELECTED} FROM recordings{where} "  # noqa: S608 - fixed clauses, values bound
        "ORDER BY id DESC LIMIT :limit OFFSET :offset"
    )
    values |= {"limit": -1 if limit is None else limit, "offset": offset}
    with reading(db) as database:
        if limit is None and database.dialect == "postgresql":  # SQLite: -1 is no limit
            values["limit"] = None
        for row in database.stream(statement, values):
            shown = _row(row)
            if not chosen.status or shown.status == chosen.status:
                yield shown


def like_pattern(glob: str) -> str:
    escaped = glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


@retrying
def recording_row(db: Library, recording_id: int) -> RecordingRow | None:
    with reading(db) as database:
        found = _recording(database, recording_id)
        return _row(found) if found is not None else None


@retrying
def insights_of(db: Library, recording_id: int) -> InsightsView | None:
    with reading(db) as database:
        return _insights(database, recording_id)


@retrying
def segments_of(db: Library, recording_id: int) -> list[SegmentView]:
    with reading(db) as database:
        found = _recording(database, recording_id)
        return _segments(database, recording_id, from_json(found["speakers"]) if found else None)


@retrying
def recording_detail(db: Library, recording_id: int) -> RecordingDetail | None:
    with reading(db) as database:
        found = _recording(database, recording_id)
        if found is None:
            return None
        of_it = {"recording": recording_id}
        transcript = database.rows(
            "SELECT text, language, model, fallback FROM transcripts "
            "WHERE recording_id = :recording",
            of_it,
        )
        order = list(Stage)
        stages = sorted(
            database.rows(
                "SELECT stage AS name, status, attempts, duration_s, error FROM stage_runs "
                "WHERE recording_id = :recording",
                of_it,
            ),
            key=lambda run: order.index(Stage(run["name"])),
        )
        segments = _segments(database, recording_id, from_json(found["speakers"]))
        return RecordingDetail(
            **vars(_row(found)),
            transcript=_transcript(transcript[0], segments) if transcript else None,
            insights=_insights(database, recording_id),
            stages=[StageView(**run) for run in stages],
        )


LARGEST_ID = 2**63 - 1
"""Ids are 64-bit at most (Postgres bigint, SQLite's rowid): a larger number names no
recording, and a driver asked for it raises instead of finding nothing."""


def _recording(database: Database, recording_id: int) -> dict[str, Any] | None:
    if not 0 < recording_id <= LARGEST_ID:
        return None
    found = database.rows(
        f"SELECT {SELECTED}, speakers FROM recordings WHERE id = :id",  # noqa: S608 - fixed
        {"id": recording_id},
    )
    return found[0] if found else None


def _row(recording: dict[str, Any]) -> RecordingRow:
    """The recording as it stands: ``running`` only while a live run holds it. A run that
    died without giving its claim up (killed, or on a disk with no room left to write the
    release) leaves it pending, which is what the next run makes of it."""
    row = RecordingRow(**{name: recording[name] for name in LISTED.split(", ")})
    claimant = recording["claimed_by"]
    if row.status == RecordingStatus.RUNNING and (claimant is None or dead_here(claimant)):
        return replace(row, status=RecordingStatus.PENDING.value, error=row.error or INTERRUPTED)
    return row


def _transcript(transcript: dict[str, Any], segments: list[SegmentView]) -> TranscriptView:
    """The transcript with every language spoken in it, most spoken first, and its
    speakers in number order."""
    numbered = {
        number: s.speaker
        for s in segments
        if (number := s.channel or s.voice) is not None and s.speaker is not None
    }
    return TranscriptView(
        transcript["text"],
        transcript["language"],
        transcript["model"],
        segments,
        languages_spoken(segments),
        [SpeakerView(number, name) for number, name in sorted(numbered.items())],
        transcript["fallback"],
    )


def _segments(
    database: Database, recording_id: int, names: dict[str, str] | None
) -> list[SegmentView]:
    segments = database.rows(
        'SELECT id, start, "end", text, words, flag, language, channel, voice, doubt '
        "FROM segments WHERE recording_id = :recording ORDER BY idx",
        {"recording": recording_id},
    )
    return [
        SegmentView(
            s["start"],
            s["end"],
            s["text"],
            from_json(s["words"]),
            s["flag"],
            s["language"],
            s["channel"],
            s["voice"],
            speaker_name(s["channel"], s["voice"], names),
            s["id"],
            s["doubt"],
        )
        for s in segments
    ]


def _insights(database: Database, recording_id: int) -> InsightsView | None:
    of_it = {"recording": recording_id}
    found = database.rows(
        "SELECT title, summary, action_items, chapters, model, prompt_tokens, "
        "completion_tokens, summary_claims, dropped FROM insights WHERE recording_id = :recording",
        of_it,
    )
    if not found:
        return None
    insight = found[0]
    starts = {
        row["id"]: row["start"]
        for row in database.rows(
            "SELECT id, start FROM segments WHERE recording_id = :recording", of_it
        )
    }

    def evidence(claim: dict[str, Any]) -> list[EvidenceView]:
        return [EvidenceView(i, starts.get(i)) for i in claim.get("evidence", [])]

    return InsightsView(
        title=insight["title"],
        summary=insight["summary"],
        action_items=[
            ActionItemView(item["task"], item.get("owner"), item.get("due"), evidence(item))
            for item in from_json(insight["action_items"]) or []
        ],
        chapters=[
            ChapterView(chapter["start"], chapter["title"], evidence(chapter))
            for chapter in from_json(insight["chapters"]) or []
        ],
        model=insight["model"],
        prompt_tokens=insight["prompt_tokens"],
        completion_tokens=insight["completion_tokens"],
        summary_claims=[
            ClaimView(claim["text"], evidence(claim))
            for claim in from_json(insight["summary_claims"]) or []
        ],
        dropped=[DroppedView(**dropped) for dropped in from_json(insight["dropped"]) or []],
    )
