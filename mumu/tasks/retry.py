"""Which failures are worth a Prefect retry: anything but the input's or the set-up's fault.

A GPU that ran out of memory runs out again on the same call: the transcription's
fallbacks take it (``mumu.transcription.fallback``), a retry as it was does not. LLM
requests are not retried here: their policy lives in ``mumu.llm.retry``.
"""

from __future__ import annotations

from typing import Any

import httpx

from mumu.errors import BadInput, ConfigurationError, StageFailed
from mumu.transcription.fallback import is_gpu_out_of_memory


def is_transient(_task: Any, _task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except StageFailed as exc:
        return exc.retryable and not is_gpu_out_of_memory(exc.__cause__)
    except (BadInput, ConfigurationError):
        return False
    except Exception as exc:  # noqa: BLE001 - anything else may pass on a second try
        return not is_gpu_out_of_memory(exc)
    return False


def is_orchestration_failure(_task: Any, _task_run: Any, state: Any) -> bool:
    """The Prefect API could not be reached or answered with an error: worth trying
    again later. Anything else a recording's run raises is its own failure."""
    try:
        state.result()
    except httpx.HTTPError:
        return True
    except Exception:  # noqa: BLE001 - said by the batch as the recording's failure
        return False
    return False
