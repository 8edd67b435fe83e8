"""Ingest: resolve the source (downloading a URL), hash its content, register and claim
the recording, and plan which stages it still needs.

A source that cannot be read is not an exception here: it is stored as failed with its
one-line reason and returned as such, so the run reports it and the batch goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from mumu.db import claims, erasure, recordings
from mumu.db.models import Stage
from mumu.db.runs import completed_stage_keys, fail_stage
from mumu.errors import BadInput
from mumu.intake.download import fetch, is_url
from mumu.intake.sources import Source, open_recording, portable, reveal, shown
from mumu.setting_groups import IntakeConfig
from mumu.stages.plan import stages_to_run

NAME = Stage.INGEST
ERASED = "this content was erased and is refused (mumu delete --keep-refusing)"


@dataclass(frozen=True)
class Ingested:
    """A recording this run holds; ``path`` is local (downloaded for a URL)."""

    recording_id: int
    source: str  # as stored and shown: a URL without its credentials
    path: Path
    todo: list[Stage]
    downloaded: bool


@dataclass(frozen=True)
class Rejected:
    """A source that cannot be processed, stored as failed with ``reason``."""

    recording_id: int
    source: str
    reason: str


def run(
    engine: Engine,
    source: Source,
    intake: IntakeConfig,
    planned: dict[Stage, str],
    claim: tuple[str, float],
) -> Ingested | Rejected:
    """``planned`` is each stage's key under the current configuration
    (``mumu.stages.plan``); ``claim`` the run's owner and how long its silence may last.
    When another live run holds the recording, this waits for it to finish, and then
    usually finds nothing left to do."""
    location, stored = reveal(source), shown(source)
    downloaded = is_url(location)
    try:
        local = str(fetch(location, intake)) if downloaded else location
        path, sha256, size = open_recording(local, intake)
        if erasure.is_refused(engine, sha256):
            raise BadInput(ERASED)
    except BadInput as exc:
        recording_id = recordings.record_unreadable(engine, stored, f"{NAME}: {exc}")
        fail_stage(engine, recording_id, NAME, str(exc))
        return Rejected(recording_id, stored, str(exc))
    recorded_source = stored if downloaded else portable(str(path))
    recording_id = recordings.register_recording(engine, recorded_source, sha256, size)
    owner, stale_after_s = claim
    claims.claim(engine, recording_id, owner, stale_after_s)
    todo = stages_to_run(planned, completed_stage_keys(engine, recording_id))
    return Ingested(recording_id, recorded_source, path, todo, downloaded)
