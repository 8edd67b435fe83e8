"""Flow runs as the command line makes them: no blocks named, so never a configuration
state, and the outcomes typed."""

from __future__ import annotations

from mumu.flows.process_batch import process_batch
from mumu.flows.process_recording import process_recording
from mumu.outcome import RecordingOutcome


def batch(paths: list[str]) -> list[RecordingOutcome]:
    outcomes = process_batch(paths)
    assert isinstance(outcomes, list), outcomes
    return outcomes


def recording(source: str) -> RecordingOutcome:
    outcome = process_recording(source)
    assert isinstance(outcome, RecordingOutcome), outcome
    return outcome
