"""Ingest: resolve the source, hash its content, and decide which stages still need running."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import task
from prefect.cache_policies import NO_CACHE

from mumu.db import claims, store
from mumu.download import fetch, is_url
from mumu.errors import BadInput
from mumu.settings import Settings
from mumu.sources import open_recording
from mumu.stages import INGEST, planned_keys, stages_to_run
from mumu.tasks.retry import is_transient


@dataclass(frozen=True)
class Ingested:
    recording_id: int
    path: str
    todo: list[str]


def already_stored(source: str, settings: Settings) -> int | None:
    """The recording's id when this content is stored and every stage is current.

    Lets the command line answer a repeated run without starting Prefect; anything
    else (new, stale, unreadable) goes through the flow and is reported there. A URL
    counts as stored when a completed recording has it as its source.
    """
    engine = store.engine_for(settings)
    if is_url(source):
        recording_id = store.find_by_source(engine, source)
    else:
        try:
            _, sha256, _ = open_recording(source, settings)
        except BadInput:
            return None
        recording_id = store.find_recording(engine, sha256)
    if recording_id is None:
        return None
    if stages_to_run(planned_keys(settings), store.completed_stage_keys(engine, recording_id)):
        return None
    return recording_id


@task(
    name="ingest",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=is_transient,
)
def ingest(source: str, settings: Settings, owner: str) -> Ingested:
    """Resolve (downloading a URL), hash, register and claim the recording; plan its stages.

    When another live run holds the recording, this waits for it to finish, and then
    usually finds nothing left to do.
    """
    engine = store.engine_for(settings)
    try:
        local = str(fetch(source, settings)) if is_url(source) else source
        path, sha256, size = open_recording(local, settings)
    except BadInput as exc:
        recording_id = store.record_unreadable(engine, source, f"{INGEST}: {exc}")
        store.fail_stage(engine, recording_id, INGEST, str(exc))
        raise BadInput(str(exc), recording_id=recording_id) from None
    recorded_source = source if is_url(source) else str(path)
    recording_id = store.register_recording(engine, recorded_source, sha256, size)
    claims.claim(engine, recording_id, owner, settings.stale_after_s)
    todo = stages_to_run(planned_keys(settings), store.completed_stage_keys(engine, recording_id))
    return Ingested(recording_id=recording_id, path=str(path), todo=todo)
