"""Erase recordings with everything derived from them, and keep a retention period.

A person asks to be removed from a recording, or a team keeps calls for 90 days: the
recording's rows go (``mumu.db.erasure``), then what mumu left outside the database:
a downloaded copy still in the downloads folder, and the artifacts its runs published
on the Prefect server (its notes, answers that cited it, batch tables that list it, and
the runs named after it with their logs). The original file a user pointed mumu at is
theirs and is not touched; decoded audio lives in a temporary file only while its run
lasts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State

from mumu.blocks import settings_from_blocks
from mumu.db import views
from mumu.db.engine import engine_for
from mumu.db.erasure import Erased, erase_recording
from mumu.errors import ConfigurationError
from mumu.flows.states import configuration_failed
from mumu.intake.sources import content_hash
from mumu.links import artifact_key
from mumu.setting_groups import DatabaseConfig

ANSWER_ARTIFACT = "mumu-answer"
BATCH_ARTIFACT = "mumu-batch"
OLDEST_DAYS = 100 * 366


@dataclass
class ErasureReport:
    chosen: list[views.RecordingRow] = field(default_factory=list)
    erased: list[Erased] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    files: int = 0
    artifacts: int = 0
    """Artifacts and runs removed from the Prefect server."""
    dry_run: bool = False


@flow(name="erase", flow_run_name="erase recordings")
def erase(
    recording_ids: list[int] | None = None,
    source: str | None = None,
    older_than_days: float | None = None,
    keep_refusing: bool = False,
    dry_run: bool = False,
    database_block: str | None = None,
) -> ErasureReport | State:
    """Erase the recordings with these ids, and those whose source matches the glob
    ``source`` or that were stored more than ``older_than_days`` ago; ``dry_run`` lists
    them and erases nothing. ``keep_refusing``: their content is refused from then on."""
    try:
        settings = settings_from_blocks(None, None, database_block)
        chosen, missing = choose(settings.database, recording_ids, source, older_than_days)
    except ConfigurationError as exc:
        return configuration_failed(exc)
    report = ErasureReport(chosen=chosen, missing=missing, dry_run=dry_run)
    logger = get_run_logger()
    if dry_run:
        logger.info("dry run: %d recordings would be erased", len(chosen))
        return report
    engine = engine_for(settings.database)
    downloads = settings.intake.downloads_dir
    for row in chosen:
        erased = erase_recording(engine, row.id, keep_refusing)
        if erased is None:
            report.missing.append(row.id)
            continue
        report.erased.append(erased)
        report.files += remove_downloads(downloads, erased.sha256)
        report.artifacts += remove_from_prefect(erased)
        logger.info("erased recording %d", erased.recording_id)
    return report


@flow(name="retention", flow_run_name="retention")
def retention(dry_run: bool = False, database_block: str | None = None) -> ErasureReport | State:
    """Erase every recording stored more than ``MUMU_RETENTION_DAYS`` ago (nothing when it
    is not set); ``dry_run`` lists them."""
    try:
        settings = settings_from_blocks(None, None, database_block)
    except ConfigurationError as exc:
        return configuration_failed(exc)
    days = settings.retention_days
    if days is None:
        get_run_logger().info("MUMU_RETENTION_DAYS is not set: recordings are kept")
        return ErasureReport(dry_run=dry_run)
    return erase(older_than_days=days, dry_run=dry_run, database_block=database_block)


def choose(
    database: DatabaseConfig,
    recording_ids: list[int] | None,
    source: str | None,
    older_than_days: float | None,
) -> tuple[list[views.RecordingRow], list[int]]:
    """The recordings named, and those matching the pattern or the age; ids not found."""
    if not recording_ids and source is None and older_than_days is None:
        raise ConfigurationError("name the recordings to erase: ids, a source pattern or an age")
    if older_than_days is not None and not 0 <= older_than_days <= OLDEST_DAYS:
        raise ConfigurationError(f"an age of {older_than_days} days: give 0 to {OLDEST_DAYS} days")
    if source is not None and not source.strip("*% \t"):
        raise ConfigurationError(
            f"the source pattern {source!r} would match every recording: give one like "
            "'*standup*', or an age"
        )
    engine = engine_for(database)
    chosen: dict[int, views.RecordingRow] = {}
    missing: list[int] = []
    for recording_id in dict.fromkeys(recording_ids or ()):
        row = views.recording_row(engine, recording_id)
        if row is None:
            missing.append(recording_id)
        else:
            chosen[row.id] = row
    if source is not None or older_than_days is not None:
        before = None
        if older_than_days is not None:
            before = datetime.now(UTC) - timedelta(days=older_than_days)
        matching = views.RecordingFilter(source=source, before=before)
        for row in views.page_of_recordings(engine, matching, None):
            chosen.setdefault(row.id, row)
    return sorted(chosen.values(), key=lambda row: row.id), missing


def remove_downloads(downloads: Path, sha256: str | None) -> int:
    """Copies of the recording left in the downloads folder (a run cut short keeps
    one until it resumes), found by their content."""
    if sha256 is None or not downloads.is_dir():
        return 0
    removed = 0
    for path in downloads.iterdir():
        if path.is_file() and content_hash(path) == sha256:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def remove_from_prefect(erased: Erased) -> int:
    """What the recording's runs left on the Prefect server: every version of its notes
    artifact, the answers that cite it (an answer names its sources as ``source @
    mm:ss``) and the batch tables that list it, and the runs named after it with their
    logs. How many were removed."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterName,
    )

    keys = [artifact_key(erased.recording_id), ANSWER_ARTIFACT, BATCH_ARTIFACT]
    removed = 0
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys))
        )
        for artifact in found:
            names_it = erased.source in str(artifact.data or "")
            if artifact.key == artifact_key(erased.recording_id) or names_it:
                client.delete_artifact(artifact.id)
                removed += 1
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[erased.source]))
        )
        for run in runs:
            client.delete_flow_run(run.id)
            removed += 1
    return removed
