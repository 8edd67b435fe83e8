"""Find the JSON object in what a model wrote.

Servers without structured output, and small models with it, wrap JSON in prose or
Markdown fences. This takes the first balanced ``{...}`` that parses. A reply cut at its
``max_tokens`` is closed after its last complete value (``close_truncated``), so the
items a model finished are kept.
"""

from __future__ import annotations

import json
from typing import Any

CLOSERS = {"{": "}", "[": "]"}
MAX_ENDS_TRIED = 32
MAX_DEPTH = 64


class NoJSONFound(ValueError):
    pass


def extract_json_object(text: str, truncated: bool = False) -> dict[str, Any]:
    """The first JSON object in ``text``; with ``truncated`` (the reply hit its token
    limit), an object left open is closed after its last complete value."""
    decoder = json.JSONDecoder()
    closing = truncated
    for index, char in enumerate(text):
        if char != "{":
            continue
        try:
            value, _ = decoder.raw_decode(text, index)
        except (json.JSONDecodeError, RecursionError):
            if closing:  # the outermost object left open: the one the reply was cut in
                closing = False
                if (closed := close_truncated(text[index:])) is not None:
                    return closed
            continue
        if isinstance(value, dict):
            return value
    raise NoJSONFound("no JSON object found in the model's reply")


def close_truncated(text: str) -> dict[str, Any] | None:
    """``text``, an object cut short, ended after its last complete value and closed.

    Walks the text once, remembering where each array element or object member ended
    and which brackets were open there; the longest such prefix that parses wins (of the
    last ``MAX_ENDS_TRIED``; nesting past ``MAX_DEPTH`` is no reply worth closing).
    """
    open_brackets: list[str] = []
    ends: list[tuple[int, str]] = []  # (end of a complete value, closers needed there)
    in_string = escaped = False
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in CLOSERS:
            open_brackets.append(CLOSERS[char])
            if len(open_brackets) > MAX_DEPTH:
                return None
        elif char in "}]":
            if not open_brackets or open_brackets.pop() != char:
                return None
            if not open_brackets:
                break
            ends.append((position + 1, "".join(reversed(open_brackets))))
        elif char == ",":
            ends.append((position, "".join(reversed(open_brackets))))
    for end, closers in reversed(ends[-MAX_ENDS_TRIED:]):
        try:
            value = json.loads(text[:end] + closers)
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(value, dict):
            return value
    return None
