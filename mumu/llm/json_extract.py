"""Find the JSON object in what a model wrote.

Servers without structured output, and small models with it, wrap JSON in prose or
Markdown fences. This takes the first balanced ``{...}`` that parses.
"""

from __future__ import annotations

import json
from typing import Any


class NoJSONFound(ValueError):
    pass


def extract_json_object(text: str) -> dict[str, Any]:
    decoder = json.JSONDecoder()
    for index, char in enumerate(text):
        if char != "{":
            continue
        try:
            value, _ = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    raise NoJSONFound("no JSON object found in the model's reply")
