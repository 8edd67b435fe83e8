"""Title, summary, action items and chapters from a transcript, with map-reduce.

A transcript that fits the model's context goes in one request. A longer one is cut
into chunks on segment boundaries, each chunk is summarised on its own (map, requests
in parallel), and the partial notes are merged (reduce), recursively when even the
notes do not fit. Token counts are estimated at three characters a token, which
overestimates for English and so errs on the side of fitting.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from mumu.llm.usage import Usage

if TYPE_CHECKING:
    from mumu.llm.client import StructuredLLM

PROMPT_VERSION = "1"
CHARS_PER_TOKEN = 3
PROMPT_OVERHEAD_TOKENS = 1500
REPLY_RESERVE_TOKENS = 1500
MAX_PARALLEL_REQUESTS = 4


class ActionItem(BaseModel):
    task: str = Field(min_length=1, description="What is to be done.")
    owner: str | None = Field(default=None, description="Who takes it on, when said.")
    due: str | None = Field(default=None, description="When it is due, as said.")


class Chapter(BaseModel):
    start: float = Field(ge=0, description="Start of the chapter in seconds.")
    title: str = Field(min_length=1)


class Insights(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1)
    action_items: list[ActionItem] = Field(default_factory=list)
    chapters: list[Chapter] = Field(default_factory=list)


@dataclass(frozen=True)
class TimedText:
    start: float
    text: str


@dataclass
class InsightsResult:
    insights: Insights
    usage: Usage
    mode: str


SYSTEM_PROMPT = (
    "You write meeting notes from transcripts. Use only what the transcript says. "
    "Give a short title, a summary of a few sentences, the action items (with the owner "
    "and due date only when they are said), and chapters with their start time in "
    "seconds, taken from the [seconds] marks in the transcript."
)
MERGE_PROMPT = (
    "You merge partial notes of consecutive parts of one recording into notes for the "
    "whole recording: one title, one summary, every action item once, and the chapters "
    "in order, keeping their start times in seconds."
)


def generate_insights(
    lines: Sequence[TimedText], duration_s: float, llm: StructuredLLM, context_tokens: int
) -> InsightsResult:
    budget_chars = max(
        1000, (context_tokens - PROMPT_OVERHEAD_TOKENS - REPLY_RESERVE_TOKENS) * CHARS_PER_TOKEN
    )
    usage = Usage()
    chunks = chunk_lines([f"[{line.start:.0f}] {line.text}" for line in lines], budget_chars)
    notes = _map(llm, SYSTEM_PROMPT, chunks, usage)
    while len(notes) > 1:
        rendered = [json.dumps(note.model_dump(), ensure_ascii=False) for note in notes]
        notes = _map(llm, MERGE_PROMPT, group_notes(rendered, budget_chars), usage)
    return InsightsResult(insights=tidy(notes[0], duration_s), usage=usage, mode=llm.mode)


def chunk_lines(lines: Sequence[str], budget_chars: int) -> list[str]:
    """Join lines into chunks of at most ``budget_chars`` (a longer line is cut)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        for piece in _pieces(line, budget_chars):
            if current and size + len(piece) + 1 > budget_chars:
                chunks.append("\n".join(current))
                current, size = [], 0
            current.append(piece)
            size += len(piece) + 1
    if current:
        chunks.append("\n".join(current))
    return chunks


def group_notes(notes: Sequence[str], budget_chars: int) -> list[str]:
    """Group notes for merging: within the budget, but never fewer than two a group,
    so every round of the reduce halves the notes at least and always ends."""
    groups: list[list[str]] = []
    size = 0
    for note in notes:
        if groups and (len(groups[-1]) < 2 or size + len(note) + 1 <= budget_chars):
            groups[-1].append(note)
            size += len(note) + 1
        else:
            groups.append([note])
            size = len(note) + 1
    return ["\n".join(group) for group in groups]


def tidy(insights: Insights, duration_s: float) -> Insights:
    """Chapters in order, inside the recording, one per start time."""
    chapters: dict[float, Chapter] = {}
    for chapter in sorted(insights.chapters, key=lambda c: c.start):
        start = round(min(chapter.start, duration_s), 1)
        chapters.setdefault(start, Chapter(start=start, title=chapter.title))
    return insights.model_copy(update={"chapters": list(chapters.values())})


def _map(llm: StructuredLLM, system: str, chunks: list[str], usage: Usage) -> list[Insights]:
    def one(chunk: str) -> tuple[Insights, Usage]:
        return llm.complete(system, chunk, Insights)

    if len(chunks) == 1:
        results = [one(chunks[0])]
    else:
        with ThreadPoolExecutor(max_workers=MAX_PARALLEL_REQUESTS) as pool:
            futures = [pool.submit(contextvars.copy_context().run, one, c) for c in chunks]
            results = [future.result() for future in futures]
    for _, call_usage in results:
        usage.add(call_usage)
    return [notes for notes, _ in results]


def _pieces(line: str, budget_chars: int) -> list[str]:
    return [line[i : i + budget_chars] for i in range(0, len(line), budget_chars)] or [""]
