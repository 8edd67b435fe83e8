"""Vectors from an OpenAI-compatible ``/v1/embeddings`` endpoint, for hybrid search."""

from __future__ import annotations

import functools

from openai import OpenAI

from mumu.llm.client import Endpoint, LLMError
from mumu.llm.retry import RetriesExhausted, RetryPolicy, call_with_retries
from mumu.setting_groups import LLMConfig

BATCH = 64


@functools.lru_cache(maxsize=4)
def _client(endpoint: Endpoint) -> OpenAI:
    return OpenAI(
        base_url=endpoint.base_url,
        api_key=endpoint.api_key,
        timeout=endpoint.timeout_s,
        max_retries=0,
    )


def embed(llm: LLMConfig, texts: list[str]) -> list[list[float]]:
    """One vector per text, requested in batches, with the LLM retry policy."""
    if llm.embeddings_model is None:
        raise ValueError("no embeddings model configured (MUMU_EMBEDDINGS_MODEL)")
    endpoint = Endpoint.of(llm)
    policy = RetryPolicy(max_attempts=endpoint.max_retries + 1, budget_s=endpoint.retry_budget_s)
    vectors: list[list[float]] = []
    for start in range(0, len(texts), BATCH):
        batch = texts[start : start + BATCH]
        try:
            request = functools.partial(
                _client(endpoint).embeddings.create,
                model=llm.embeddings_model or "",
                input=batch,
            )
            response = call_with_retries(request, policy)
        except RetriesExhausted as exc:
            raise LLMError(f"embeddings: {exc}") from None
        vectors += [item.embedding for item in sorted(response.data, key=lambda d: d.index)]
    return vectors
