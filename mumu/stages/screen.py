"""What a batch settles without a run per recording: sources refused, and recordings
already stored with every stage current.

A folder brought for import holds thousands of files, and many are not recordings (or
not any more: the same content twice, a file too large, one that is not audio). Each of
those used to cost a flow run, a claim and a transaction per stage; told apart here by
what the file says of itself (its size, its content hash, its container's header, read
in milliseconds), they are stored as their own run would have stored them (the same
one-line reason under the same stage), many to a transaction. Only what needs work gets
a run. What only decoding can find (a truncated file) is still the audio stage's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from sqlalchemy import Engine

from mumu.db import erasure, recordings
from mumu.db.models import RecordingStatus, Stage
from mumu.db.runs import Refusal, completed_stage_keys_of, record_refusals
from mumu.errors import BadInput
from mumu.intake.download import is_url, redact_url
from mumu.intake.sources import Source, open_recording, portable, reveal, shown
from mumu.outcome import ALREADY_STORED, RecordingOutcome, outcome
from mumu.setting_groups import IntakeConfig
from mumu.stages.ingest import ERASED
from mumu.stages.plan import stages_to_run
from mumu.transcription import audio

CHUNK = 500
"""Sources looked up, and refusals stored, per query and transaction: memory and the
size of a transaction stay the same however large the folder."""

FLOW = "process-recording"


@dataclass
class Screened:
    """``todo``: the sources that need a run, in the order given; ``settled``: what came
    of the others, by source as shown; ``refused``: which of those were refused now,
    with the refusal (its stage and reason)."""

    todo: list[Source] = field(default_factory=list)
    settled: dict[str, RecordingOutcome] = field(default_factory=dict)
    refused: list[tuple[RecordingOutcome, Refusal]] = field(default_factory=list)


@dataclass(frozen=True)
class _Read:
    """A local file read whole: where it is, and its content's hash and size."""

    path: Path
    sha256: str
    size: int


def screen(
    sources: Sequence[Source], engine: Engine, intake: IntakeConfig, planned: dict[Stage, str]
) -> Screened:
    """Sort ``sources`` into those that need a run and those settled here."""
    screened = Screened()
    for chunk in _chunks(list(sources), CHUNK):
        _screen_chunk(chunk, engine, intake, planned, screened)
    return screened


def _screen_chunk(
    chunk: list[Source],
    engine: Engine,
    intake: IntakeConfig,
    planned: dict[Stage, str],
    screened: Screened,
) -> None:
    read: dict[str, _Read | Refusal] = {}
    for source in chunk:
        location = reveal(source)
        if not is_url(location):
            read[location] = _read(location, shown(source), intake)
    hashes = [found.sha256 for found in read.values() if isinstance(found, _Read)]
    erased = erasure.refused_among(engine, hashes)
    known = recordings.find_recordings(engine, hashes)
    stored = completed_stage_keys_of(engine, list(known.values()))
    refusals: list[tuple[str, Refusal]] = []
    for source in chunk:
        location, label = reveal(source), shown(source)
        found = read.get(location)
        verdict: Refusal | RecordingOutcome | None
        if found is None:  # a URL: known by its source, fetched by its run
            recording_id = recordings.find_by_source(engine, redact_url(location))
            keys = completed_stage_keys_of(engine, [recording_id]) if recording_id else {}
            verdict = _stored(engine, label, recording_id, keys, planned)
        elif isinstance(found, Refusal):
            verdict = found
        elif found.sha256 in erased:
            verdict = Refusal(label, Stage.INGEST, ERASED)
        else:
            recording_id = known.get(found.sha256)
            verdict = _stored(engine, label, recording_id, stored, planned)
            decoded = recording_id is not None and Stage.AUDIO not in stages_to_run(
                planned, stored[recording_id]
            )
            if verdict is None and not decoded:
                verdict = _inspected(found, intake)
        if isinstance(verdict, Refusal):
            refusals.append((label, verdict))
        elif verdict is not None:
            screened.settled[label] = verdict
        else:
            screened.todo.append(source)
    ids = record_refusals(engine, [refusal for _, refusal in refusals], FLOW)
    for (label, refusal), recording_id in zip(refusals, ids, strict=True):
        error = f"{refusal.stage}: {refusal.reason}"
        refused = RecordingOutcome(label, RecordingStatus.FAILED, recording_id, error=error)
        screened.settled[label] = refused
        screened.refused.append((refused, refusal))


def _read(location: str, label: str, intake: IntakeConfig) -> _Read | Refusal:
    try:
        return _Read(*open_recording(location, intake))
    except BadInput as exc:
        return Refusal(label, Stage.INGEST, str(exc))


def _inspected(found: _Read, intake: IntakeConfig) -> Refusal | None:
    """A refusal when the file's header says it is not usable audio."""
    try:
        audio.inspect(found.path, intake.max_duration_s)
    except BadInput as exc:
        source = portable(str(found.path))
        return Refusal(source, Stage.AUDIO, str(exc), found.sha256, found.size)
    return None


def _stored(
    engine: Engine,
    label: str,
    recording_id: int | None,
    keys: dict[int, dict[Stage, str | None]],
    planned: dict[Stage, str],
) -> RecordingOutcome | None:
    """The outcome of a recording stored with every stage current; else None."""
    if recording_id is None or stages_to_run(planned, keys[recording_id]):
        return None
    return outcome(engine, label, recording_id, note=ALREADY_STORED)


def _chunks(items: list[Source], size: int) -> Iterator[list[Source]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
