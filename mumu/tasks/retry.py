"""Which failures are worth a Prefect retry: anything but the input's or the set-up's fault.

LLM requests are not retried here: their policy lives in ``mumu.llm.retry``.
"""

from __future__ import annotations

from typing import Any

from mumu.errors import BadInput, ConfigurationError, StageFailed


def is_transient(_task: Any, _task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except StageFailed as exc:
        return exc.retryable
    except (BadInput, ConfigurationError):
        return False
    except Exception:  # noqa: BLE001 - anything else may pass on a second try
        return True
    return False
