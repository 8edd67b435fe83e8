"""Where a person follows up on a recording: its Prefect run and notes artifact, its
page and transcript on the sidecar, the command that exports its notes. Prefect is
imported only when a link to it is made, so the screen can say where a refusal is
before a run imports Prefect."""

from __future__ import annotations

from mumu.access import link
from mumu.setting_groups import NoticesConfig


def artifact_key(recording_id: int) -> str:
    return f"mumu-recording-{recording_id}"


def artifact_link(recording_id: int, ui: str) -> str:
    """The recording's notes artifact in the Prefect UI at ``ui`` (relative when empty)."""
    return f"{ui.rstrip('/')}/artifacts/key/{artifact_key(recording_id)}"


def links(notices: NoticesConfig, recording_id: int | None) -> dict[str, str]:
    """Where a person follows up on a recording: its Prefect run, when a Prefect UI
    outlives the run, and its notes and transcript, when the sidecar is public."""
    from prefect.runtime import flow_run
    from prefect.settings import PREFECT_UI_URL

    found: dict[str, str] = {}
    ui = PREFECT_UI_URL.value()
    if ui and flow_run.id:
        found["prefect_run"] = f"{ui.rstrip('/')}/runs/flow-run/{flow_run.id}"
    if recording_id is None:
        return found
    if ui:
        found["artifact"] = artifact_link(recording_id, ui)
    page = f"/recordings/{recording_id}"
    for name, path in (("notes", page), ("transcript", f"{page}/transcript.txt")):
        url = link(notices.access, path)
        if url:
            found[name] = url
    found["export"] = f"mumu export {recording_id} --format notes"
    return found
