"""Repetition loops, in what Whisper writes and in what an LLM writes.

Both kinds of model fall into loops: Whisper on noise ("sufathan, sufathan, ..."), a
small LLM under a JSON grammar ("Your Country Can Do It. Your Country Can Do It. ...").
A loop is a group of a few words said again and again in a row; ``collapse``
keeps its first saying, for text that is worth keeping otherwise (a note's sentence);
the gate flags a transcript segment that holds one.
"""

from __future__ import annotations

import re

LOOP_REPEATS = 4
MAX_GROUP_WORDS = 4
WORD = re.compile(r"[\w']+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def loop(said: list[str], max_group: int = MAX_GROUP_WORDS) -> tuple[str, int] | None:
    """The first run of one group of up to ``max_group`` words said again and again."""
    found = _first_run(said, max_group)
    if found is None:
        return None
    start, size, repeats = found
    return " ".join(said[start : start + size]), repeats


def collapse(text: str, max_group: int = 2 * MAX_GROUP_WORDS) -> str:
    """``text`` with each word loop said once and each sentence said once, in order."""
    while True:
        spans = [match.span() for match in WORD.finditer(text)]
        found = _first_run(words(text), max_group)
        if found is None:
            break
        start, size, repeats = found
        keep_until = spans[start + size - 1][1]
        resume = spans[start + size * repeats][0] if start + size * repeats < len(spans) else None
        tail = text[resume:] if resume is not None else _trailing_punctuation(text[keep_until:])
        text = text[:keep_until] + (" " if resume is not None else "") + tail
    seen: set[str] = set()
    sentences = []
    for sentence in SENTENCE_END.split(text.strip()):
        key = " ".join(words(sentence))
        if key and key in seen:
            continue
        seen.add(key)
        sentences.append(sentence)
    return " ".join(sentences)


def _first_run(said: list[str], max_group: int) -> tuple[int, int, int] | None:
    """(start, group size, repeats) of the first loop, preferring the smallest group."""
    for size in range(1, max_group + 1):
        for start in range(len(said) - size * LOOP_REPEATS + 1):
            group = said[start : start + size]
            repeats = 1
            while said[start + repeats * size : start + (repeats + 1) * size] == group:
                repeats += 1
            if repeats >= LOOP_REPEATS:
                return start, size, repeats
    return None


def _trailing_punctuation(rest: str) -> str:
    """What ends a sentence after the last word of a loop that ran to the end."""
    match = re.match(r"^[^\w\s]*", rest.lstrip())
    return match.group(0)[:1] if match else ""
