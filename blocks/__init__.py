"""Prefect blocks for mumu's configuration, and how they combine with ``MUMU_`` settings.

Register the block types with ``prefect block register -m mumu.blocks``; save documents
in the UI or from Python. A flow named with a block document uses its values; every
value a block does not give comes from the ``MUMU_`` environment, so the same flow code
runs locally (no blocks) and deployed (blocks on the server).
"""

from __future__ import annotations

from typing import Any

from mumu.blocks.database import MumuDatabase
from mumu.blocks.llm import LLMEndpoint
from mumu.blocks.whisper import WhisperEngine
from mumu.settings import Settings, get_settings

__all__ = ["LLMEndpoint", "MumuDatabase", "WhisperEngine", "settings_from_blocks"]


def settings_from_blocks(
    whisper_block: str | None = None,
    llm_block: str | None = None,
    database_block: str | None = None,
) -> Settings:
    updates: dict[str, Any] = {}
    if whisper_block:
        updates |= WhisperEngine.load(whisper_block).settings_update()
    if llm_block:
        updates |= LLMEndpoint.load(llm_block).settings_update()
    if database_block:
        updates |= MumuDatabase.load(database_block).settings_update()
    settings = get_settings()
    return settings.model_copy(update=updates) if updates else settings
