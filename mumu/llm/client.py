"""The one wrapper around the ``openai`` client: structured output from any server.

OpenAI-compatible servers differ in what ``response_format`` they accept. A request
starts with the best mode the server has accepted so far (``json_schema``; then
``json_object`` with the schema, which llama.cpp's server turns into a grammar so even
a small model's reply fits; then plain ``json_object``; then plain text with the JSON
extracted from the reply) and steps down when a server refuses a mode, whatever the
status it refuses with. A reply that does not validate is sent back once
with the validation error; a second failure fails the stage with that reason.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from openai import OpenAI
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from mumu.errors import one_line
from mumu.llm.json_extract import NoJSONFound, extract_json_object
from mumu.llm.retry import (
    InvalidResponse,
    RetriesExhausted,
    RetryPolicy,
    call_with_retries,
    refuses_response_format,
)
from mumu.llm.usage import Usage
from mumu.settings import Settings

MODES = ("json_schema", "json_object_schema", "json_object", "text")
Schema = TypeVar("Schema", bound=BaseModel)


class LLMError(Exception):
    """The LLM stage cannot complete; the message is one line, safe to store."""


@dataclass(frozen=True)
class Endpoint:
    base_url: str | None
    api_key: str = field(repr=False)
    model: str
    timeout_s: float
    max_retries: int
    retry_budget_s: float
    concurrency_limit: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Endpoint:
        return cls(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else "unused",
            model=settings.llm_model,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
            retry_budget_s=settings.llm_retry_budget_s,
            concurrency_limit=settings.llm_concurrency_limit,
        )


@functools.lru_cache(maxsize=4)
def _cached_llm(endpoint: Endpoint) -> StructuredLLM:
    return StructuredLLM(endpoint)


def get_llm(settings: Settings) -> StructuredLLM:
    """One client per endpoint per process, so a mode a server rejected stays rejected."""
    return _cached_llm(Endpoint.from_settings(settings))


class StructuredLLM:
    def __init__(self, endpoint: Endpoint) -> None:
        self.model = endpoint.model
        self._client = OpenAI(
            base_url=endpoint.base_url,
            api_key=endpoint.api_key,
            timeout=endpoint.timeout_s,
            max_retries=0,
        )
        self._policy = RetryPolicy(
            max_attempts=endpoint.max_retries + 1, budget_s=endpoint.retry_budget_s
        )
        self._secret = endpoint.api_key
        self._concurrency_limit = endpoint.concurrency_limit
        self._mode_index = 0
        self._lock = threading.Lock()

    @property
    def mode(self) -> str:
        return MODES[self._mode_index]

    def complete(
        self,
        system: str,
        user: str,
        schema: type[Schema],
        context: dict[str, Any] | None = None,
        check: Callable[[Schema], list[str]] | None = None,
        ask_again: str = "",
    ) -> tuple[Schema, Usage]:
        """A validated ``schema`` instance; ``context`` reaches the schema's validators.

        A reply that does not validate, or in which ``check`` finds problems, is sent
        back once: with the validation error, or with the problems in ``ask_again``'s
        ``{problems}``. After that a reply that does not validate fails, unless the first
        one validated (it is returned); one with problems is returned, for the caller to
        keep what holds.
        """
        usage = Usage()
        first: Schema | None = None
        schema_json = schema.model_json_schema()
        messages: list[dict[str, Any]] = [
            {
                "role": "system",
                "content": f"{system}\n\nReply with one JSON object matching "
                f"this JSON schema:\n{schema_json}",
            },
            {"role": "user", "content": user},
        ]
        reply = self._chat(messages, schema, usage)
        try:
            value = _validate(reply, schema, context)
        except (ValidationError, NoJSONFound) as first_error:
            correction = (
                f"That reply does not match the schema: {_one_line(first_error)}. "
                "Reply again with only the corrected JSON object."
            )
        else:
            found = check(value) if check else []
            if not found:
                return value, usage
            first = value
            correction = ask_again.format(problems=" ".join("; ".join(found).split())[:4000])
        messages += [
            {"role": "assistant", "content": reply},
            {"role": "user", "content": correction},
        ]
        reply = self._chat(messages, schema, usage)
        try:
            return _validate(reply, schema, context), usage
        except (ValidationError, NoJSONFound) as second_error:
            if first is not None:  # asked again for its problems, it broke: keep the first
                return first, usage
            raise LLMError(
                f"LLM output did not match the {schema.__name__} schema after a retry: "
                f"{_one_line(second_error)}"
            ) from None

    def _slot(self) -> AbstractContextManager[object]:
        """A slot of the Prefect global concurrency limit, when one is configured."""
        if self._concurrency_limit is None:
            return nullcontext()
        from prefect.concurrency.sync import concurrency

        return concurrency(self._concurrency_limit, occupy=1, strict=True)

    def _error(self, message: str) -> LLMError:
        """Servers echo request details in errors; the API key never goes further."""
        return LLMError(message.replace(self._secret, "**********"))

    def _chat(self, messages: list[dict[str, Any]], schema: type[BaseModel], usage: Usage) -> str:
        while True:
            mode_index = self._mode_index
            request = functools.partial(self._request, messages, MODES[mode_index], schema)
            try:
                response = call_with_retries(request, self._policy)
            except openai.APIStatusError as exc:
                refused = isinstance(
                    exc, openai.BadRequestError | openai.UnprocessableEntityError
                ) or refuses_response_format(exc)
                if not refused:
                    raise self._error(
                        f"LLM endpoint error {exc.status_code}: {_api_reason(exc)}"
                    ) from None
                if mode_index + 1 >= len(MODES):
                    raise self._error(f"LLM request rejected: {_api_reason(exc)}") from None
                with self._lock:  # remembered: later requests skip the refused format
                    self._mode_index = max(self._mode_index, mode_index + 1)
                continue
            except RetriesExhausted as exc:
                raise self._error(str(exc)) from None
            usage.calls += 1
            if response.usage is not None:
                usage.prompt_tokens += _count(response.usage.prompt_tokens)
                usage.completion_tokens += _count(response.usage.completion_tokens)
            if not response.choices:
                raise LLMError("LLM endpoint returned no choices")
            return response.choices[0].message.content or ""

    def _request(
        self, messages: list[dict[str, Any]], mode: str, schema: type[BaseModel]
    ) -> ChatCompletion:
        try:
            with self._slot():
                response = self._client.chat.completions.create(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    temperature=0,
                    **_response_format(mode, schema),
                )
        except json.JSONDecodeError:
            raise InvalidResponse from None
        if not isinstance(response, ChatCompletion):
            raise InvalidResponse
        return response


def _count(value: object) -> int:
    """A token count as servers send it: a number, a numeric string, or nothing usable."""
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0


def _response_format(mode: str, schema: type[BaseModel]) -> dict[str, Any]:
    if mode == "json_schema":
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()},
            }
        }
    if mode == "json_object_schema":  # llama.cpp's server: a grammar from the schema
        return {"response_format": {"type": "json_object", "schema": schema.model_json_schema()}}
    if mode == "json_object":
        return {"response_format": {"type": "json_object"}}
    return {}


def _validate(reply: str, schema: type[Schema], context: dict[str, Any] | None) -> Schema:
    return schema.model_validate(extract_json_object(reply), context=context)


def _api_reason(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else error
        if message:
            return _one_line(str(message))
    return _one_line(exc.message)


def _one_line(error: BaseException | str) -> str:
    """A validation error as its first few field errors; anything else as it reads."""
    if isinstance(error, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in e['loc']) or 'root'}: {e['msg']}" for e in error.errors()
        ]
        return one_line("; ".join(parts[:5]))
    return one_line(error)
