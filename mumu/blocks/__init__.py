"""Prefect blocks for mumu's configuration, and how they combine with ``MUMU_`` settings.

Register the block types with ``prefect block register -m mumu.blocks``; save documents
in the UI or from Python. A flow named with a block document uses the values it sets;
every value a block leaves empty comes from the ``MUMU_`` environment, so the same flow
code runs locally (no blocks) and deployed (blocks on the server).
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import SecretStr

from mumu.blocks.database import MumuDatabase
from mumu.blocks.llm import LLMEndpoint
from mumu.blocks.whisper import WhisperEngine
from mumu.errors import ConfigurationError
from mumu.settings import Settings, get_settings

__all__ = ["LLMEndpoint", "MumuDatabase", "WhisperEngine", "settings_from_blocks"]


def settings_from_blocks(
    whisper_block: str | None = None,
    llm_block: str | None = None,
    database_block: str | None = None,
    vocabulary: str | None = None,
) -> Settings:
    """mumu's settings with the named block documents applied over the environment.

    Raises ``ConfigurationError`` naming the parameter when a block does not exist.
    """
    updates: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for block_type, name, parameter in (
        (WhisperEngine, whisper_block, "whisper_block"),
        (LLMEndpoint, llm_block, "llm_block"),
        (MumuDatabase, database_block, "database_block"),
    ):
        if name:
            update = load_block(block_type, name, parameter).settings_update()
            updates |= update
            origins |= dict.fromkeys(update, f"block {name}")
    if vocabulary:
        updates["whisper_vocabulary"] = vocabulary
        origins["whisper_vocabulary"] = "parameter"
    settings = get_settings()
    resolved = settings.model_copy(update=updates) if updates else settings
    _logger().info("%s", where_from(resolved, origins))
    return resolved


def where_from(settings: Settings, origins: dict[str, str]) -> str:
    """One line: each value not left at its default and where it came from (a block, a
    parameter, the environment); secrets are said to be set, never shown."""
    chosen = [
        f"{name}={_shown(getattr(settings, name))} ({origins.get(name, 'environment')})"
        for name in Settings.model_fields
        if name in origins or name in settings.model_fields_set
    ]
    return "configuration: " + (", ".join(chosen) + "; the rest" if chosen else "all") + " default"


def _shown(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "(secret, set)"
    return repr(value) if isinstance(value, str) else str(value)


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("mumu.configuration")


def load_block(block_type: Any, name: str, parameter: str) -> Any:
    slug = block_type.get_block_type_slug()
    try:
        block: Any = block_type.load(name)
    except ValueError as exc:
        if "Unable to find block document" not in str(exc):
            reason = " ".join(str(exc).split())
            raise ConfigurationError(
                f"{parameter}: the {slug} block {name!r} does not load: {reason}"
            ) from None
        raise ConfigurationError(
            f"{parameter}: no {slug} block named {name!r}; create it (bash infra/setup.sh "
            f"or the Prefect UI) or set {parameter} to '' to use the MUMU_ environment"
        ) from None
    return block
