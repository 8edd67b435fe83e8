"""The inbox scan, short of starting deployments (tests/infra/test_docker.py does that)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.client.schemas.objects import State

from mumu.flows.inbox import scan_inbox

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]


def test_a_missing_inbox_folder_fails_the_scan_and_starts_nothing(tmp_path: Path) -> None:
    missing = str(tmp_path / "inbox")
    state = scan_inbox([missing], deployment="no/deployment", return_state=True)
    assert isinstance(state, State) and state.is_failed()
    assert state.message == (
        f"configuration error: inbox {missing} does not exist here: mount it into the "
        "flow-run containers (MUMU_INBOX_VOLUME, infra/README.md) or fix the deployment's "
        "locations"
    )
