"""A Prefect API that cannot take a recording's run slows the batch down and never ends
it: the run is tried again later, and what still could not run is left for the next."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from mumu.db.models import RecordingStatus
from mumu.flows import process_batch as batch_flow
from mumu.flows import recording_run
from tests.conftest import DATA_DIR
from tests.flows import batch

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api", "settings")]


def unavailable() -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "http://127.0.0.1:4200/api/flow_runs/")
    response = httpx.Response(503, request=request)
    return httpx.HTTPStatusError(
        "Server error '503 Service Unavailable'", request=request, response=response
    )


@pytest.fixture
def busy_api(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The runs of recordings named ``busy*`` are refused by the API: the first two
    tries of ``busy-once.flac``, every try of ``busy-always.flac``, until
    ``tries["calm"]`` is set."""
    tries: dict[str, int] = {}
    real = recording_run.RecordingRun

    def refused_or_real(source: str) -> Any:
        name = Path(str(source)).name
        tries[name] = tries.get(name, 0) + 1
        busy = tries.get("calm", 0) == 0
        if busy and (name == "busy-always.flac" or (name == "busy-once.flac" and tries[name] <= 2)):
            raise unavailable()
        return real(source)

    monkeypatch.setattr(batch_flow, "RecordingRun", refused_or_real)
    monkeypatch.setattr(
        batch_flow, "run_recording", batch_flow.run_recording.with_options(retry_delay_seconds=0)
    )
    return tries


def test_a_busy_api_slows_the_batch_and_what_it_refused_is_left_for_the_next_run(
    busy_api: dict[str, int], tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DATA_DIR / "jfk.flac", folder / "busy-once.flac")
    shutil.copy(DATA_DIR / "hotwords.mp3", folder / "calm.mp3")
    always = folder / "busy-always.flac"
    always.write_bytes((DATA_DIR / "jfk.flac").read_bytes() + b"\0")

    outcomes = {Path(o.source).name: o for o in batch([str(folder)])}

    assert outcomes["calm.mp3"].status == RecordingStatus.COMPLETED
    assert outcomes["busy-once.flac"].status == RecordingStatus.COMPLETED, "tried again"
    assert busy_api["busy-once.flac"] == 3
    left = outcomes["busy-always.flac"]
    assert left.status == RecordingStatus.PENDING
    assert busy_api["busy-always.flac"] == 4, "its first try and three more"
    assert left.error is not None
    assert left.error.startswith(batch_flow.NOT_RUN)
    assert "503" in left.error
    assert "\n" not in left.error

    busy_api["calm"] = 1
    again = {Path(o.source).name: o for o in batch([str(folder)])}
    assert again["busy-always.flac"].status == RecordingStatus.COMPLETED
    assert again["calm.mp3"].note == "already stored"
