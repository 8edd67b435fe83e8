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
MAX_PASSES = 4
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
    """``text`` with each word loop said once and each sentence said once, in order.

    A pass goes from left to right: at each word, the smallest group that starts there
    and is said ``LOOP_REPEATS`` times or more in a row is kept once, with what follows
    its last saying (a few passes, for loops of loops); the words are compared
    casefolded, one match at a time, so the text's positions and the words compared
    never drift apart (``"İ".lower()`` is two letters).
    """
    for _ in range(MAX_PASSES):  # a loop of loops ("a a a a b" again and again) needs two
        collapsed = _collapse_once(text, max_group)
        if collapsed == text:
            break
        text = collapsed
    seen: set[str] = set()
    sentences = []
    for sentence in SENTENCE_END.split(text.strip()):
        key = " ".join(words(sentence))
        if key and key in seen:
            continue
        seen.add(key)
        sentences.append(sentence)
    return " ".join(sentences)


def _collapse_once(text: str, max_group: int) -> str:
    matches = list(WORD.finditer(text))
    said = [match.group().casefold() for match in matches]
    kept: list[str] = []
    keep_from = 0
    at = 0
    while at < len(said):
        run = _run_at(said, at, max_group)
        if run is None:
            at += 1
            continue
        size, repeats = run
        kept.append(text[keep_from : matches[at + size - 1].end()])
        at += size * repeats
        keep_from = matches[at - 1].end()
    kept.append(text[keep_from:])
    return "".join(kept)


def _run_at(said: list[str], at: int, max_group: int) -> tuple[int, int] | None:
    """(group size, repeats) of the smallest group starting at ``at`` said again and
    again, or None."""
    for size in range(1, max_group + 1):
        group = said[at : at + size]
        if len(group) < size:
            return None
        repeats = 1
        while said[at + repeats * size : at + (repeats + 1) * size] == group:
            repeats += 1
        if repeats >= LOOP_REPEATS:
            return size, repeats
    return None


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
