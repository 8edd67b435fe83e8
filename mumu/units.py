"""Durations as people write them in configuration: ``5400``, ``90m``, ``1h30m``, ``PT6H``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}
_COMPOUND = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")


def parse_duration(value: Any) -> Any:
    """Seconds or h/m/s compounds become a timedelta; anything else is left to pydantic."""
    if not isinstance(value, str):
        return value
    text = value.strip().lower().replace(" ", "")
    match = _COMPOUND.fullmatch(text)
    try:
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            return timedelta(seconds=float(text))
        if text and match and any(match.groups()):
            seconds = sum(
                float(amount) * _UNIT_SECONDS[unit]
                for amount, unit in zip(match.groups(), "hms", strict=True)
                if amount
            )
            return timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        pass
    return value
