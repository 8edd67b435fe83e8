"""Error reporting to Sentry, when ``SENTRY_DSN`` is set.

A failed stage is reported once, as a message tagged with the recording id and stage,
from the flow that saw it fail (not from each retry, not from log records). Nothing a
user recorded or configured secretly leaves: no transcript text is ever put in an
event, local variables and PII are off, log records are not turned into events or
breadcrumbs, and every secret value of the configuration is scrubbed from whatever is
sent. The SDK is imported only once a DSN is set: most runs have none, and it costs a
tenth of a second of start-up.
"""

from __future__ import annotations

import threading
from typing import Any

from mumu import __version__
from mumu.setting_groups import ReportingConfig

REDACTED = "[redacted]"
_lock = threading.Lock()
_initialised_dsn: str | None = None


def init_sentry(reporting: ReportingConfig) -> bool:
    """Start the SDK once per process; False when no DSN is configured."""
    global _initialised_dsn
    if reporting.sentry_dsn is None:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.argv import ArgvIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    dsn = reporting.sentry_dsn.get_secret_value()
    with _lock:
        if _initialised_dsn == dsn:
            return True
        secrets = list(reporting.scrubbed)
        sentry_sdk.init(
            dsn=dsn,
            release=f"mumu@{__version__}",
            environment=reporting.environment,
            data_collection={"stack_frame_variables": False, "user_info": False},
            max_breadcrumbs=0,
            integrations=[LoggingIntegration(level=None, event_level=None)],
            disabled_integrations=[ArgvIntegration],  # the command line holds URL credentials
            before_send=lambda event, _hint: scrub(event, secrets),
        )
        _initialised_dsn = dsn
    return True


def report_stage_failure(
    reporting: ReportingConfig, recording_id: int | None, stage: str, reason: str, bad_input: bool
) -> None:
    if not init_sentry(reporting):
        return
    import sentry_sdk

    with sentry_sdk.new_scope() as scope:
        scope.set_tag("recording_id", str(recording_id) if recording_id is not None else "none")
        scope.set_tag("stage", stage)
        scope.set_tag("bad_input", str(bad_input).lower())
        scope.fingerprint = ["mumu-stage-failure", stage, reason.split(":")[0]]
        sentry_sdk.capture_message(
            f"mumu {stage} stage failed: {reason}", level="warning" if bad_input else "error"
        )


def flush() -> None:
    if _initialised_dsn is not None:
        import sentry_sdk

        sentry_sdk.flush(timeout=5)


def scrub(value: Any, secrets: list[str]) -> Any:
    """Replace every secret inside strings of a nested event."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {key: scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item, secrets) for item in value]
    return value
