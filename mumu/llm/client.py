"""The one wrapper around the ``openai`` client: structured output from any server.

OpenAI-compatible servers differ in what ``response_format`` they accept. A request
starts with the best mode the server has accepted so far (``json_schema``; then
``json_object`` with the schema, which llama.cpp's server turns into a grammar so even
a small model's reply fits; then plain ``json_object``; then plain text with the JSON
extracted from the reply) and steps down when a server refuses a mode, whatever the
status it refuses with. A reply that does not validate is sent back once
with the validation error; a second failure fails the stage with that reason.

Every request is bounded: ``max_tokens`` is the longest reply its schema allows
(``mumu.llm.bounds``), a reply cut there keeps what it finished, and a stage's
``Budget`` caps the time of all its requests together.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx2
import openai
from openai import OpenAI
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from mumu.errors import one_line
from mumu.llm.bounds import reply_tokens
from mumu.llm.budget import Budget, BudgetSpent
from mumu.llm.json_extract import NoJSONFound, extract_json_object
from mumu.llm.retry import (
    InvalidResponse,
    RetriesExhausted,
    RetryPolicy,
    call_with_retries,
    refuses_response_format,
)
from mumu.llm.usage import Usage
from mumu.setting_groups import LLMConfig

MODES = ("json_schema", "json_object_schema", "json_object", "text")
TOKEN_LIMIT_FIELDS = ("max_tokens", "max_completion_tokens")
CUT_SHORT = "length"
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
    def of(cls, llm: LLMConfig) -> Endpoint:
        """What a client is built from: the request's side of the LLM group."""
        return cls(
            base_url=llm.base_url,
            api_key=llm.api_key.get_secret_value() if llm.api_key else "unused",
            model=llm.model,
            timeout_s=llm.timeout_s,
            max_retries=llm.max_retries,
            retry_budget_s=llm.retry_budget_s,
            concurrency_limit=llm.concurrency_limit,
        )


@functools.lru_cache(maxsize=4)
def _cached_llm(endpoint: Endpoint) -> StructuredLLM:
    return StructuredLLM(endpoint)


def get_llm(llm: LLMConfig) -> StructuredLLM:
    """One client per endpoint per process, so a mode a server rejected stays rejected."""
    return _cached_llm(Endpoint.of(llm))


class StructuredLLM:
    def __init__(self, endpoint: Endpoint, transport: httpx2.BaseTransport | None = None) -> None:
        """``transport`` carries the ``openai`` client's requests (an ``httpx2`` transport,
        the HTTP library ``openai`` is built on); the tests hand one in, by default the
        network."""
        self.model = endpoint.model
        self._client = OpenAI(
            base_url=endpoint.base_url,
            api_key=endpoint.api_key,
            timeout=endpoint.timeout_s,
            max_retries=0,
            http_client=openai.DefaultHttpxClient(transport=transport) if transport else None,
        )
        self._policy = RetryPolicy(
            max_attempts=endpoint.max_retries + 1, budget_s=endpoint.retry_budget_s
        )
        self._secret = endpoint.api_key
        self._concurrency_limit = endpoint.concurrency_limit
        self._timeout_s = endpoint.timeout_s
        self._mode_index = 0
        self._token_field = TOKEN_LIMIT_FIELDS[0]
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
        budget: Budget | None = None,
        max_tokens: int | None = None,
    ) -> tuple[Schema, Usage]:
        """A validated ``schema`` instance; ``context`` reaches the schema's validators.

        A reply that does not validate, or in which ``check`` finds problems, is sent
        back once: with the validation error, or with the problems in ``ask_again``'s
        ``{problems}``. After that a reply that does not validate fails, unless the first
        one validated (it is returned); one with problems is returned, for the caller to
        keep what holds. With a ``budget``, every request fits in what is left of it;
        ``max_tokens`` lowers the schema's own bound (a small context).
        """
        try:
            return self._complete(
                system, user, schema, context, check, ask_again, budget, max_tokens
            )
        except BudgetSpent as spent:
            raise LLMError(str(spent)) from None

    def _complete(
        self,
        system: str,
        user: str,
        schema: type[Schema],
        context: dict[str, Any] | None,
        check: Callable[[Schema], list[str]] | None,
        ask_again: str,
        budget: Budget | None,
        max_tokens: int | None,
    ) -> tuple[Schema, Usage]:
        usage = Usage()
        first: Schema | None = None
        schema_json = schema.model_json_schema()
        bound = reply_tokens(schema_json)
        request = _Request(schema, min(bound, max_tokens) if max_tokens else bound, budget)
        messages: list[dict[str, Any]] = [
            {
                "role": "system",
                "content": f"{system}\n\nReply with one JSON object matching "
                f"this JSON schema:\n{schema_json}",
            },
            {"role": "user", "content": user},
        ]
        reply, cut = self._chat(messages, request, usage)
        try:
            value = _validate(reply, schema, context, cut)
        except (ValidationError, NoJSONFound) as first_error:
            correction = (
                f"That reply does not match the schema: {_one_line(first_error)}. "
                "Reply again with only the corrected JSON object."
            )
            if cut:
                correction = (
                    f"That reply was cut off at {request.max_tokens} tokens. Reply again with "
                    "a shorter JSON object: fewer items, short sentences."
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
        reply, cut = self._chat(messages, request, usage)
        try:
            return _validate(reply, schema, context, cut), usage
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

    def _chat(
        self, messages: list[dict[str, Any]], request: _Request, usage: Usage
    ) -> tuple[str, bool]:
        """The reply's text, and whether it was cut at its token limit."""
        while True:
            mode_index, token_field = self._mode_index, self._token_field
            send = functools.partial(self._request, messages, MODES[mode_index], request)
            policy = self._policy
            if request.budget is not None:
                policy = dataclasses.replace(
                    policy, budget_s=min(policy.budget_s, request.budget.remaining())
                )
            try:
                with request.budget.waiting() if request.budget else nullcontext():
                    response = call_with_retries(send, policy)
            except openai.APIStatusError as exc:
                if _too_long(exc):
                    raise self._error(
                        f"LLM request longer than the model's context ({_api_reason(exc)}): "
                        "set MUMU_LLM_CONTEXT_TOKENS to the model's window"
                    ) from None
                if token_field == TOKEN_LIMIT_FIELDS[0] and _unsupported(exc, token_field):
                    with self._lock:  # e.g. OpenAI's reasoning models: max_completion_tokens
                        self._token_field = TOKEN_LIMIT_FIELDS[1]
                    continue
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
                cut_by_stage = policy.budget_s < self._policy.budget_s  # not the retry budget
                if request.budget is not None and cut_by_stage and exc.out_of_time:
                    raise BudgetSpent(f"{request.budget.reason()} (last: {exc})") from None
                raise self._error(str(exc)) from None
            usage.calls += 1
            if response.usage is not None:
                usage.prompt_tokens += _count(response.usage.prompt_tokens)
                usage.completion_tokens += _count(response.usage.completion_tokens)
            if not response.choices:
                raise LLMError("LLM endpoint returned no choices")
            choice = response.choices[0]
            return choice.message.content or "", choice.finish_reason == CUT_SHORT

    def _request(
        self, messages: list[dict[str, Any]], mode: str, request: _Request
    ) -> ChatCompletion:
        timeout = self._timeout_s
        if request.budget is not None:
            timeout = min(timeout, request.budget.remaining())
        options: dict[str, Any] = {self._token_field: request.max_tokens}
        options |= _response_format(mode, request.schema)
        try:
            with self._slot():
                response = self._client.chat.completions.create(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    temperature=0,
                    timeout=timeout,
                    **options,
                )
        except json.JSONDecodeError:
            raise InvalidResponse from None
        except openai.APITimeoutError:
            if request.budget is not None and timeout < self._timeout_s:
                raise BudgetSpent(request.budget.reason()) from None  # the budget cut it
            raise
        if not isinstance(response, ChatCompletion):
            raise InvalidResponse
        return response


@dataclass(frozen=True)
class _Request:
    """What every request of one ``complete`` shares."""

    schema: type[BaseModel]
    max_tokens: int
    budget: Budget | None


def _unsupported(exc: openai.APIStatusError, parameter: str) -> bool:
    """Whether a refusal says ``parameter`` is not supported (a server that wants another
    name), not merely mentions it (vLLM's context-length refusal names max_tokens)."""
    reason = _api_reason(exc).lower()
    unsupported = "unsupported" in reason or "not supported" in reason
    return exc.status_code in (400, 422) and parameter in reason and unsupported


CONTEXT_WORDS = ("context length", "context size", "context window", "exceed_context_size")


def _too_long(exc: openai.APIStatusError) -> bool:
    """Whether the server refused the request for not fitting its context: no other
    format or limit will make it fit."""
    reason = f"{_api_reason(exc)} {exc.body}".lower()
    return exc.status_code in (400, 413, 422, 500) and any(w in reason for w in CONTEXT_WORDS)


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


def _validate(
    reply: str, schema: type[Schema], context: dict[str, Any] | None, cut: bool
) -> Schema:
    return schema.model_validate(extract_json_object(reply, truncated=cut), context=context)


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
