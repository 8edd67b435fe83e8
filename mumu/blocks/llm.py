from __future__ import annotations

from typing import Any

from prefect.blocks.core import Block
from pydantic import Field, SecretStr


class LLMEndpoint(Block):
    """An OpenAI-compatible endpoint for mumu's insights (OpenAI, vLLM, Ollama, ...).

    A field left empty is not set here: ``OPENAI_*`` / ``MUMU_LLM_*`` in the flow run's
    environment decide it (no base URL anywhere means api.openai.com).
    """

    _block_type_name = "mumu LLM endpoint"
    _block_type_slug = "mumu-llm-endpoint"
    _description = "OpenAI-compatible endpoint, key and model for mumu's LLM steps."

    base_url: str | None = Field(default=None, description="e.g. http://vllm:8000/v1")
    api_key: SecretStr | None = None
    model: str | None = None
    context_tokens: int | None = Field(default=None, ge=1024)

    def settings_update(self) -> dict[str, Any]:
        values = {
            "llm_base_url": self.base_url,
            "llm_api_key": self.api_key,
            "llm_model": self.model,
            "llm_context_tokens": self.context_tokens,
        }
        return {name: value for name, value in values.items() if value is not None}
