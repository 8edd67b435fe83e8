"""Every reply mumu asks an LLM for has an end, and its max_tokens is that end."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mumu.llm.ask import CitedAnswer
from mumu.llm.bounds import UnboundedSchema, longest_reply_chars, reply_tokens
from mumu.llm.grounding import Notes
from mumu.llm.insights import REPLY_RESERVE_TOKENS


@pytest.mark.parametrize("schema", [Notes, CitedAnswer])
def test_every_list_and_string_asked_for_is_bounded(schema: Any) -> None:
    assert 100 < reply_tokens(schema.model_json_schema()) < 3000


def test_the_longest_reply_that_fits_the_notes_schema_fits_its_bound() -> None:
    longest = {
        "title": "t" * 80,
        "summary": [{"text": "s" * 200, "evidence": [10**9] * 4}] * 5,
        "action_items": [
            {"task": "a" * 150, "owner": "o" * 40, "due": "d" * 40, "evidence": [10**9] * 4}
        ]
        * 5,
        "chapters": [{"title": "c" * 60, "evidence": [10**9] * 4}] * 6,
    }
    Notes.model_validate(longest)
    text = json.dumps(longest, separators=(",", ":"))
    assert len(text) <= longest_reply_chars(Notes.model_json_schema())
    assert reply_tokens(Notes.model_json_schema()) == REPLY_RESERVE_TOKENS


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"text": {"type": "string"}}},
        {"type": "array", "items": {"type": "integer"}},
    ],
)
def test_a_schema_without_a_bound_is_refused(schema: dict[str, Any]) -> None:
    with pytest.raises(UnboundedSchema):
        longest_reply_chars(schema)
