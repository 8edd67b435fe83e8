"""Replies with an end: every list and string the LLM is asked for has a bound.

A small model under a server's JSON grammar writes until the grammar lets it stop; with
no ``maxItems`` or ``maxLength`` it may never be allowed to (SmolLM2-135M wrote 1,380
tokens of one note and was still inside it). So every schema mumu sends bounds its
lists and strings, the request's ``max_tokens`` is the longest reply the schema
allows, and a server without a grammar that writes past a bound is clipped rather than
refused: the first items, the first words, each loop said once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mumu import repetition

CHARS_PER_REPLY_TOKEN = 2
"""JSON keys, punctuation and digits cost more tokens than prose: two characters each
bounds what the tokenizers of small models make of it."""
REPLY_TOKEN_MARGIN = 64
NUMBER_CHARS = 12
CLIP_FIRST = 8
"""A string is cut to this many times its bound before its loops are looked for: a
server that ignores the bounds cannot make the clipping slow."""


class UnboundedSchema(ValueError):
    """A schema with a list or string that has no bound: its reply could be endless."""


def clip_text(max_chars: int) -> Callable[[Any], Any]:
    """A before-validator: the text with loops said once, cut to ``max_chars`` at a word."""

    def clip(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = " ".join(repetition.collapse(value[: max_chars * CLIP_FIRST]).split())
        if len(text) <= max_chars:
            return text
        cut = text[: max_chars - 1]
        return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"

    return clip


def first_items(max_items: int) -> Callable[[Any], Any]:
    """A before-validator: the first ``max_items`` of a list."""

    def first(value: Any) -> Any:
        return value[:max_items] if isinstance(value, list) else value

    return first


def reply_tokens(schema: dict[str, Any]) -> int:
    """The most tokens a reply that fits ``schema`` can take: the request's max_tokens."""
    return longest_reply_chars(schema) // CHARS_PER_REPLY_TOKEN + REPLY_TOKEN_MARGIN


def longest_reply_chars(schema: dict[str, Any]) -> int:
    """The longest compact JSON text that fits ``schema``; raises ``UnboundedSchema``."""
    definitions = schema.get("$defs", {})

    def size(node: dict[str, Any]) -> int:
        if "$ref" in node:
            return size(definitions[node["$ref"].rsplit("/", 1)[-1]])
        if "anyOf" in node:
            return max(size(choice) for choice in node["anyOf"])
        kind = node.get("type")
        if kind == "string":
            if "maxLength" not in node:
                raise UnboundedSchema(f"a string without maxLength: {node}")
            return int(node["maxLength"]) + 2
        if kind in ("integer", "number"):
            return NUMBER_CHARS
        if kind in ("boolean", "null"):
            return 5
        if kind == "array":
            if "maxItems" not in node:
                raise UnboundedSchema(f"a list without maxItems: {node}")
            return 2 + int(node["maxItems"]) * (size(node["items"]) + 1)
        if kind == "object":
            properties = node.get("properties", {})
            return 2 + sum(len(name) + 4 + size(value) for name, value in properties.items())
        raise UnboundedSchema(f"a value of no known type: {node}")

    return size(schema)
