"""Which failures are worth a Prefect retry: not the input's fault, not a final verdict."""

from __future__ import annotations

from typing import Any

from mumu.errors import BadInput
from mumu.llm.client import LLMError


def is_transient(_task: Any, _task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except BadInput:
        return False
    except LLMError as exc:
        return exc.transient
    except Exception:  # noqa: BLE001 - anything else may pass on a second try
        return True
    return False
