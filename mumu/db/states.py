"""What a recording, a stage and a stage run can be; the read path uses them without
importing the models."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """A recording's stages, in the order they run."""

    INGEST = "ingest"
    AUDIO = "audio"
    TRANSCRIBE = "transcribe"
    INSIGHTS = "insights"


class RecordingStatus(StrEnum):
    """``notes_failed``: the transcript is stored and usable, its notes are not (the
    error says why; the next run retries only the notes)."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    NOTES_FAILED = "notes_failed"
    FAILED = "failed"


class StageStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
