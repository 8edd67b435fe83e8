from __future__ import annotations

from typing import Any

from prefect.blocks.core import Block
from pydantic import Field, SecretStr


class LLMEndpoint(Block):
    """An OpenAI-compatible endpoint for mumu's insights (OpenAI, vLLM, Ollama, ...)."""

    _block_type_name = "mumu LLM endpoint"
    _block_type_slug = "mumu-llm-endpoint"
    _description = "OpenAI-compatible endpoint, key and model for mumu's LLM steps."

    base_url: str | None = Field(default=None, description="None means api.openai.com.")
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    context_tokens: int = Field(default=8192, ge=1024)

    def settings_update(self) -> dict[str, Any]:
        return {
            "llm_base_url": self.base_url,
            "llm_api_key": self.api_key,
            "llm_model": self.model,
            "llm_context_tokens": self.context_tokens,
        }
