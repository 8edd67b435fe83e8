"""What happened to a recording in a run, as the command line and a batch report it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from mumu.db import views
from mumu.db.models import RecordingStatus

ALREADY_STORED = "already stored"


@dataclass(frozen=True)
class RecordingOutcome:
    source: str
    status: str
    recording_id: int | None = None
    error: str | None = None
    duration_s: float | None = None
    title: str | None = None
    summary: str | None = None
    note: str | None = None

    @property
    def completed(self) -> bool:
        return self.status == RecordingStatus.COMPLETED


class RecordingFailed(Exception):
    """A failed recording as the data of its Failed flow state.

    Prefect raises a failed flow's data at the end of a deployed run, so it must be an
    exception; a batch reads the outcome back from it.
    """

    def __init__(self, outcome: RecordingOutcome) -> None:
        super().__init__(outcome.error or "failed")
        self.outcome = outcome


def outcome(
    engine: Engine,
    source: str,
    recording_id: int | None,
    note: str | None = None,
    fallback_error: str | None = None,
) -> RecordingOutcome:
    """What happened to a recording, read back from what was stored."""
    row = views.recording_row(engine, recording_id) if recording_id is not None else None
    if row is None:
        return RecordingOutcome(source, RecordingStatus.FAILED, recording_id, fallback_error)
    insights = views.insights_of(engine, row.id)
    failed = row.status != RecordingStatus.COMPLETED
    return RecordingOutcome(
        source=source,
        status=row.status,
        recording_id=row.id,
        error=(row.error or fallback_error) if failed else None,
        duration_s=row.duration_s,
        title=insights.title if insights else None,
        summary=insights.summary if insights else None,
        note=note,
    )
