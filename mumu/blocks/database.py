from __future__ import annotations

from typing import Any

from prefect.blocks.core import Block
from pydantic import Field, SecretStr


class MumuDatabase(Block):
    """Where mumu stores recordings: a SQLAlchemy URL, kept as a secret."""

    _block_type_name = "mumu database"
    _block_type_slug = "mumu-database"
    _description = "SQLAlchemy URL of mumu's database (postgresql+psycopg://...)."

    url: SecretStr = Field(description="e.g. postgresql+psycopg://mumu:...@db:5432/mumu")

    def settings_update(self) -> dict[str, Any]:
        return {"database_url": self.url}
