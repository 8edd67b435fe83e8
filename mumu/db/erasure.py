"""Erasure: a recording and everything derived from it leave the database.

What is derived from a recording references it with ``ON DELETE CASCADE``: its
transcript, its segments (and with them the full-text index and the embeddings), its
notes with their dropped claims, its stage runs. Pipeline runs keep their timing with
the recording's id set to NULL, and the metric totals follow through their triggers
(0011). A question whose answer cites the recording is erased with it, since the answer
was made from its words. The id stays in ``erasures`` so it is never given again, and
the content hash only while that content is to be refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete
from sqlmodel import col, select

from mumu.db.engine import transaction
from mumu.db.models import Erasure, Question, Recording
from mumu.db.retry import retrying


@dataclass(frozen=True)
class Erased:
    recording_id: int
    source: str
    sha256: str | None
    questions: int
    """Questions erased because their answer cited the recording."""


@retrying
def erase_recording(engine: Engine, recording_id: int, keep_refusing: bool) -> Erased | None:
    """None when there is no such recording (already erased, or never stored)."""
    with transaction(engine) as session:
        recording = session.get(Recording, recording_id)
        if recording is None:
            return None
        citing = [
            question.id
            for question in session.exec(select(Question))
            if _cites(question.citations, recording_id)
        ]
        if citing:
            session.execute(delete(Question).where(col(Question.id).in_(citing)))
        erased = Erased(recording_id, recording.source, recording.sha256, len(citing))
        session.delete(recording)
        session.flush()
        kept = recording.sha256 if keep_refusing else None
        session.merge(Erasure(recording_id=recording_id, sha256=kept))
        return erased


@retrying
def refused_among(engine: Engine, hashes: Sequence[str]) -> set[str]:
    """Which of these contents were erased with ``keep_refusing`` (one query)."""
    with transaction(engine) as session:
        found = session.exec(select(Erasure.sha256).where(col(Erasure.sha256).in_(hashes)))
        return {sha256 for sha256 in found if sha256}


@retrying
def is_refused(engine: Engine, sha256: str) -> bool:
    """Whether this content was erased with ``keep_refusing``."""
    return sha256 in refused_among(engine, [sha256])


def _cites(citations: Any, recording_id: int) -> bool:
    """Whether a question's stored citations name the recording (a row of another shape,
    written by hand or by an older mumu, names none: it cannot block an erasure)."""
    if not isinstance(citations, list):
        return False
    return any(
        isinstance(citation, dict) and citation.get("recording_id") == recording_id
        for citation in citations
    )
