"""The inbox: find recordings not stored yet and start a process-recording run for each.

Runs on a schedule on a CPU pool; the transcription itself happens in the runs it
starts on the GPU pool, so the inbox never waits for them.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import cast

from prefect import flow
from prefect.artifacts import create_table_artifact
from prefect.client.schemas.objects import FlowRun, State
from prefect.deployments import run_deployment
from sqlalchemy import Engine

from mumu.blocks import settings_from_blocks
from mumu.db import recordings
from mumu.db.engine import engine_for
from mumu.db.models import Stage
from mumu.errors import ConfigurationError
from mumu.flows.states import configuration_failed
from mumu.intake.download import is_url
from mumu.intake.sources import expand, reveal, shown
from mumu.setting_groups import IntakeConfig
from mumu.stages.plan import already_stored, planned_keys

PROCESS_RECORDING = "process-recording/process-recording"


@flow(name="inbox")
def scan_inbox(
    locations: list[str],
    deployment: str = PROCESS_RECORDING,
    whisper_block: str | None = None,
    llm_block: str | None = None,
    database_block: str | None = None,
    vocabulary: str | None = None,
) -> list[str] | State:
    """Start a run of ``deployment`` for every new recording in folders, files or URLs.

    A location that does not exist fails the scan and starts nothing: it is a mount or
    a setting gone wrong, not an empty inbox.
    """
    blocks = {
        "whisper_block": whisper_block,
        "llm_block": llm_block,
        "database_block": database_block,
        "vocabulary": vocabulary,
    }
    try:
        check_locations(locations)
        settings = settings_from_blocks(**blocks)
    except ConfigurationError as exc:
        return configuration_failed(exc)
    pending = pending_sources(
        locations, engine_for(settings.database), settings.intake, planned_keys(settings)
    )
    submitted = []
    for source in pending:
        run = cast(
            FlowRun,
            run_deployment(
                deployment, parameters={"source": source, **blocks}, timeout=0, as_subflow=False
            ),
        )
        submitted.append({"source": source, "flow_run": run.name, "flow_run_id": str(run.id)})
    create_table_artifact(
        key="mumu-inbox",
        table=submitted or [{"source": "", "flow_run": "nothing new", "flow_run_id": ""}],
        description=f"{len(submitted)} new recordings from {', '.join(locations)}",
    )
    return pending


def check_locations(locations: list[str]) -> None:
    missing = [
        location
        for location in locations
        if not is_url(location) and not glob.has_magic(location) and not Path(location).exists()
    ]
    if missing:
        raise ConfigurationError(
            f"inbox {', '.join(missing)} does not exist here: mount it into the flow-run "
            "containers (MUMU_INBOX_VOLUME, infra/README.md) or fix the deployment's locations"
        )


def pending_sources(
    locations: list[str], engine: Engine, intake: IntakeConfig, planned: dict[Stage, str]
) -> list[str]:
    """Sources neither stored with every stage current nor being processed now."""
    found = [reveal(source) for source in expand(locations)]
    return [
        source
        for source in found
        if already_stored(engine, source, intake, planned) is None
        and not recordings.is_running(engine, shown(source))
    ]
