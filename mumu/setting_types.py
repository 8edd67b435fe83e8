"""The kinds of value a setting can hold and what each must be to be accepted."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, SecretStr

from mumu.units import parse_duration

MIN_SECRET_CHARS = 16


def _empty_is_unset(value: object) -> object:
    """``MUMU_LINK_KEY=`` unsets the key: an empty key would sign links anyone can."""
    secret = value.get_secret_value() if isinstance(value, SecretStr) else value
    return None if isinstance(secret, str) and not secret.strip() else value


def _long_enough_not_to_be_guessed(value: SecretStr) -> SecretStr:
    for part in value.get_secret_value().split(","):
        if part.strip() and len(part.strip()) < MIN_SECRET_CHARS:
            raise ValueError(
                f"each key or token needs at least {MIN_SECRET_CHARS} characters "
                "(e.g. openssl rand -hex 32)"
            )
    return value


def _a_web_address(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/?#]+(/\S*)?", value):
        raise ValueError("give the sidecar's http(s) address, e.g. http://mumu-host:9108")
    return value


def _somewhere(value: Path) -> Path:
    if not str(value).strip() or str(value) == ".":
        raise ValueError("give a folder, e.g. ~/.mumu")
    return value


def _a_recording_can_be_long_enough(value: timedelta) -> timedelta:
    if not timedelta(0) < value <= timedelta(days=7):
        raise ValueError("give a duration longer than 0 and at most 7 days, e.g. 6h")
    return value


Key = Annotated[
    SecretStr | None,
    BeforeValidator(_empty_is_unset),
    AfterValidator(lambda v: _long_enough_not_to_be_guessed(v) if v is not None else v),
]
"""A signing key, or tokens separated by commas: none when empty, else long enough."""
WebAddress = Annotated[str, AfterValidator(_a_web_address)]
Folder = Annotated[Path, AfterValidator(_somewhere)]
RecordingLength = Annotated[
    timedelta, BeforeValidator(parse_duration), AfterValidator(_a_recording_can_be_long_enough)
]
