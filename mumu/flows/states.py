"""How a flow ends when the deployment, not the recording, is at fault."""

from __future__ import annotations

from prefect import get_run_logger
from prefect.client.schemas.objects import State
from prefect.states import Failed

from mumu.errors import ConfigurationError


def configuration_failed(exc: ConfigurationError) -> State:
    """The run fails with the one line that says what to fix; no retry, no traceback."""
    get_run_logger().error("configuration error: %s", exc)
    return Failed(message=f"configuration error: {exc}")
