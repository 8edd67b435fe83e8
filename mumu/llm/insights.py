"""Title, summary, action items and chapters from a transcript, with map-reduce,
each claim citing the segments it rests on (``mumu.llm.grounding``).

A transcript that fits the model's context goes in one request. A longer one is cut
into chunks on segment boundaries, each chunk is summarised on its own (map, requests
in parallel), and the partial notes, with their segment ids, are merged (reduce),
recursively when even the notes do not fit; a merge may cite only ids the partial notes
cite. Every reply is checked against the transcript; one with claims that do not hold
is sent back once with the reasons, and then what still does not hold is dropped and
listed. Token counts are estimated at three characters a token, which overestimates for
English and so errs on the side of fitting; each chunk leaves room for the longest reply
the notes schema allows. All requests of one recording share its ``Budget``.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mumu.library.export import clock
from mumu.llm.bounds import reply_tokens
from mumu.llm.budget import Budget
from mumu.llm.grounding import (
    Chapter,
    Dropped,
    Grounded,
    Notes,
    Said,
    Transcript,
    ground,
    problems,
)
from mumu.llm.usage import Usage

if TYPE_CHECKING:
    from mumu.llm.client import StructuredLLM

PROMPT_VERSION = "3"
CHARS_PER_TOKEN = 3
PROMPT_OVERHEAD_TOKENS = 1500
REPLY_RESERVE_TOKENS = reply_tokens(Notes.model_json_schema())
MAX_PARALLEL_REQUESTS = 4
ID_AT_LINE_START = re.compile(r"^\[(\d+) @ ", re.M)


class NothingGrounded(Exception):
    """No summary sentence rests on the transcript: there are no notes to store."""


@dataclass
class InsightsResult:
    notes: Notes
    dropped: list[Dropped]
    usage: Usage
    mode: str


SYSTEM_PROMPT = (
    "You write meeting notes from a transcript. Each line starts with a segment id and "
    "its time, as [id @ mm:ss]. Use only what the transcript says, in its own words: "
    "each summary sentence retells one or two lines. Give for every summary sentence, "
    "action item and chapter the ids of the lines it rests on, as evidence. Give a short "
    "title, a summary of a few sentences, the action items (with the owner and due date "
    "only when a cited line says them), and the chapters in order, each citing first the "
    "line where it begins."
)
MERGE_PROMPT = (
    "You merge partial notes of consecutive parts of one recording into notes for the "
    "whole recording: one title, a summary of a few sentences, every action item once, "
    "and the chapters in order. Keep the evidence of everything you keep: cite only "
    "segment ids that the partial notes cite."
)
ASK_AGAIN = (
    "Some of it does not hold against the transcript: {problems}. Reply again with only "
    "the corrected JSON object: cite only the segment ids given, and give an owner or a "
    "due date only when a cited segment says it."
)


def generate_insights(
    segments: Sequence[Said], llm: StructuredLLM, context_tokens: int, budget: Budget | None = None
) -> InsightsResult:
    """Notes whose every claim cites segments of ``segments``; raises ``NothingGrounded``
    when no summary sentence does."""
    reply_limit = reply_tokens_within(context_tokens)
    budget_chars = max(
        1000, (context_tokens - PROMPT_OVERHEAD_TOKENS - reply_limit) * CHARS_PER_TOKEN
    )
    transcript = Transcript(segments)
    usage = Usage()
    dropped: list[Dropped] = []
    lines = [f"[{s.id} @ {clock(s.start)}] {s.text}" for s in segments]
    jobs = [
        (SYSTEM_PROMPT, chunk, _ids_in(chunk, transcript))
        for chunk in chunk_lines(lines, budget_chars)
    ]
    notes = _map(llm, jobs, transcript, usage, dropped, budget, reply_limit)
    while len(notes) > 1:
        rendered = [json.dumps(note.model_dump(), ensure_ascii=False) for note in notes]
        jobs = [
            (
                MERGE_PROMPT,
                "\n".join(rendered[i] for i in group),
                _cited(notes[group.start : group.stop]),
            )
            for group in group_notes(rendered, budget_chars)
        ]
        notes = _map(llm, jobs, transcript, usage, dropped, budget, reply_limit)
    if not notes[0].summary:
        reasons = "; ".join(f"{d.text!r} {d.reason}" for d in dropped if d.kind == "summary")
        raise NothingGrounded(
            f"no summary sentence of the LLM rests on this transcript ({reasons})"
        )
    return InsightsResult(tidy(notes[0], transcript), dropped, usage, llm.mode)


def reply_tokens_within(context_tokens: int) -> int:
    """The notes' longest reply, or a third of a small context: the prompt must fit too
    (a reply cut there keeps what it finished)."""
    return min(REPLY_RESERVE_TOKENS, context_tokens // 3)


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


def group_notes(notes: Sequence[str], budget_chars: int) -> list[range]:
    """Group notes for merging, as index ranges: within the budget, but never fewer than
    two a group, so every round of the reduce halves the notes at least and always ends."""
    groups: list[range] = []
    size = 0
    for index, note in enumerate(notes):
        if groups and (len(groups[-1]) < 2 or size + len(note) + 1 <= budget_chars):
            groups[-1] = range(groups[-1].start, index + 1)
            size += len(note) + 1
        else:
            groups.append(range(index, index + 1))
            size = len(note) + 1
    return groups


def chapter_start(chapter: Chapter, transcript: Transcript) -> float:
    return min(transcript.start(i) for i in chapter.evidence)


def tidy(notes: Notes, transcript: Transcript) -> Notes:
    """Chapters in the order they begin, one per start."""
    chapters: dict[float, Chapter] = {}
    for chapter in sorted(notes.chapters, key=lambda c: chapter_start(c, transcript)):
        chapters.setdefault(chapter_start(chapter, transcript), chapter)
    return notes.model_copy(update={"chapters": list(chapters.values())})


Job = tuple[str, str, Collection[int]]


def _map(
    llm: StructuredLLM,
    jobs: Sequence[Job],
    transcript: Transcript,
    usage: Usage,
    dropped: list[Dropped],
    budget: Budget | None,
    reply_limit: int,
) -> list[Notes]:
    """Each job (system prompt, user text, the ids it may cite) in parallel; each reply
    checked, sent back once with what does not hold, then grounded."""

    def one(job: Job) -> tuple[Grounded, Usage]:
        system, text, given = job
        notes, call_usage = llm.complete(
            system,
            text,
            Notes,
            check=lambda notes: problems(notes, given, transcript),
            ask_again=ASK_AGAIN,
            budget=budget,
            max_tokens=reply_limit,
        )
        return ground(notes, given, transcript), call_usage

    if len(jobs) == 1:
        results = [one(jobs[0])]
    else:
        with ThreadPoolExecutor(max_workers=MAX_PARALLEL_REQUESTS) as pool:
            futures = [pool.submit(contextvars.copy_context().run, one, job) for job in jobs]
            results = [future.result() for future in futures]
    for grounded, call_usage in results:
        usage.add(call_usage)
        dropped.extend(grounded.dropped)
    return [grounded.notes for grounded, _ in results]


def _ids_in(chunk: str, transcript: Transcript) -> set[int]:
    return {int(found) for found in ID_AT_LINE_START.findall(chunk) if int(found) in transcript}


def _cited(notes: Sequence[Notes]) -> set[int]:
    """Every id the partial notes cite: what their merge may cite."""
    cited: set[int] = set()
    for note in notes:
        for claim in note.summary:
            cited.update(claim.evidence)
        for item in note.action_items:
            cited.update(item.evidence)
        for chapter in note.chapters:
            cited.update(chapter.evidence)
    return cited


def _pieces(line: str, budget_chars: int) -> list[str]:
    return [line[i : i + budget_chars] for i in range(0, len(line), budget_chars)] or [""]
