"""Read-side views of stored recordings, in the shapes the CLI and artifacts show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from mumu.db.models import Insight, Recording, Segment, StageRun, Transcript
from mumu.db.store import transaction
from mumu.stages import ORDER


def list_recordings(engine: Engine) -> list[dict[str, Any]]:
    with transaction(engine) as session:
        recordings = session.exec(select(Recording).order_by(col(Recording.id))).all()
        return [_row(recording) for recording in recordings]


def brief(engine: Engine, recording_id: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The recording's row and its insights (title, summary), if any."""
    with transaction(engine) as session:
        recording = session.get(Recording, recording_id)
        if recording is None:
            raise LookupError(f"no recording with id {recording_id}")
        insight = session.exec(select(Insight).where(Insight.recording_id == recording_id)).first()
        return _row(recording), _insights(insight)


def recording_detail(engine: Engine, recording_id: int) -> dict[str, Any] | None:
    with transaction(engine) as session:
        recording = session.get(Recording, recording_id)
        if recording is None:
            return None
        transcript = session.exec(
            select(Transcript).where(Transcript.recording_id == recording_id)
        ).first()
        segments = session.exec(
            select(Segment).where(Segment.recording_id == recording_id).order_by(col(Segment.idx))
        ).all()
        insight = session.exec(select(Insight).where(Insight.recording_id == recording_id)).first()
        stages = sorted(
            session.exec(select(StageRun).where(StageRun.recording_id == recording_id)).all(),
            key=lambda run: ORDER.index(run.stage) if run.stage in ORDER else len(ORDER),
        )
        detail = _row(recording)
        detail["transcript"] = (
            {
                "text": transcript.text,
                "language": transcript.language,
                "model": transcript.model,
                "segments": [
                    {"start": s.start, "end": s.end, "text": s.text, "words": s.words}
                    for s in segments
                ],
            }
            if transcript
            else None
        )
        detail["insights"] = _insights(insight)
        detail["stages"] = [
            {
                "name": run.stage,
                "status": run.status,
                "attempts": run.attempts,
                "duration_s": run.duration_s,
                "error": run.error,
            }
            for run in stages
        ]
        return detail


def _row(recording: Recording) -> dict[str, Any]:
    return {
        "id": recording.id,
        "source": recording.source,
        "sha256": recording.sha256,
        "status": recording.status,
        "error": recording.error,
        "duration_s": recording.duration_s,
        "language": recording.language,
    }


def _insights(insight: Insight | None) -> dict[str, Any] | None:
    if insight is None:
        return None
    return {
        "title": insight.title,
        "summary": insight.summary,
        "action_items": insight.action_items,
        "chapters": insight.chapters,
        "model": insight.model,
        "prompt_tokens": insight.prompt_tokens,
        "completion_tokens": insight.completion_tokens,
    }
