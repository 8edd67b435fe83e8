"""Notes that rest on what was said: every claim cites transcript segments, checked here.

The LLM sees each segment with its id and must cite, for every summary sentence, action
item and chapter, the ids it rests on. A citation holds when the id was among those
given (so an invented id, or one from another recording, does not); a summary sentence
or a task must share a word that carries meaning with what it cites (a real id under an
unrelated sentence is no evidence); an action item's owner and due date hold when their
words are said in a cited segment or next to one. "Next to" is the segment before or
after: a reply often names its owner in the line that asks.
``problems`` lists what does not hold, for asking the LLM again; ``ground`` then keeps
what holds and says, for each thing dropped or struck, why.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from mumu.export import clock

FILLER_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "by",
        "on",
        "in",
        "at",
        "of",
        "to",
        "for",
        "and",
        "or",
        "before",
        "until",
        "till",
        "end",
        "mr",
        "mrs",
        "ms",
        "dr",
    ]
)
COMMON_WORDS = frozenset(
    {
        "about", "after", "also", "been", "before", "being", "could", "from", "have",
        "here", "into", "just", "like", "more", "most", "much", "must", "only", "other",
        "over", "said", "same", "should", "some", "such", "than", "that", "their", "them",
        "then", "there", "these", "they", "this", "those", "very", "want", "well", "were",
        "what", "when", "where", "which", "while", "will", "with", "would", "your",
    }
)  # fmt: skip
STEM_LENGTH = 5
WORD = re.compile(r"\w+")


class Claim(BaseModel):
    text: str = Field(min_length=1, description="One sentence of the summary.")
    evidence: list[int] = Field(
        default_factory=list, description="Ids of the transcript segments it rests on."
    )


class ActionItem(BaseModel):
    task: str = Field(min_length=1, description="What is to be done.")
    owner: str | None = Field(default=None, description="Who takes it on, only when said.")
    due: str | None = Field(default=None, description="When it is due, only when said.")
    evidence: list[int] = Field(
        default_factory=list, description="Ids of the segments where it is said."
    )


class Chapter(BaseModel):
    title: str = Field(min_length=1)
    evidence: list[int] = Field(
        default_factory=list, description="Ids of its segments, the one where it begins first."
    )


class Notes(BaseModel):
    """Notes of a recording in which every claim cites the segments it rests on."""

    title: str = Field(min_length=1, max_length=200)
    summary: list[Claim] = Field(min_length=1, description="A few sentences.")
    action_items: list[ActionItem] = Field(default_factory=list)
    chapters: list[Chapter] = Field(default_factory=list)


@dataclass(frozen=True)
class Said:
    """A transcript segment the notes may cite: its database id, start and text."""

    id: int
    start: float
    text: str


@dataclass(frozen=True)
class Dropped:
    """A claim not stored, or a part of one struck, and why."""

    kind: str
    text: str
    reason: str


@dataclass
class Grounded:
    notes: Notes
    dropped: list[Dropped] = field(default_factory=list)


class Transcript:
    """The segments of one recording, by id, with their neighbours."""

    def __init__(self, segments: Sequence[Said]) -> None:
        self.segments = list(segments)
        self._position = {s.id: i for i, s in enumerate(self.segments)}

    def __contains__(self, segment_id: object) -> bool:
        return segment_id in self._position

    def start(self, segment_id: int) -> float:
        return self.segments[self._position[segment_id]].start

    def around(self, segment_ids: Iterable[int]) -> str:
        """The text of the cited segments and of the segment on either side of each."""
        positions: set[int] = set()
        for segment_id in segment_ids:
            if segment_id in self._position:
                at = self._position[segment_id]
                positions.update(range(max(0, at - 1), min(len(self.segments), at + 2)))
        return " ".join(self.segments[p].text for p in sorted(positions))

    def where(self, segment_ids: Iterable[int]) -> str:
        return ", ".join(clock(self.start(i)) for i in segment_ids if i in self)


def problems(notes: Notes, given: Collection[int], transcript: Transcript) -> list[str]:
    """What does not hold, one line each, as the LLM is told when asked again."""
    return [f"{d.kind} {d.text!r}: {d.reason}" for d in ground(notes, given, transcript).dropped]


def ground(notes: Notes, given: Collection[int], transcript: Transcript) -> Grounded:
    """Keep the claims that rest on the segments given, with only those citations; strike
    an owner or due date that the cited text does not say."""
    dropped: list[Dropped] = []

    def evidence(kind: str, text: str, cited: list[int], echo: bool = True) -> list[int]:
        """The citations of a claim that hold; none, with the reason kept, if it fails."""
        kept = [i for i in dict.fromkeys(cited) if i in given]
        if not cited:
            reason = "cites no segment"
        elif not kept:
            reason = f"cites {_ids(cited)}, not segments given"
        elif echo and not echoes(text, transcript.around(kept)):
            reason = f"shares no word with what it cites ({transcript.where(kept)})"
        else:
            return kept
        dropped.append(Dropped(kind, text, reason))
        return []

    summary = []
    for claim in notes.summary:
        if kept := evidence("summary", claim.text, claim.evidence):
            summary.append(Claim(text=claim.text, evidence=kept))
    items = []
    for item in notes.action_items:
        if not (kept := evidence("action item", item.task, item.evidence)):
            continue
        heard = transcript.around(kept)
        said: dict[str, str | None] = {"owner": item.owner, "due": item.due}
        for part, value in said.items():
            if value is not None and not said_in(value, heard):
                where = transcript.where(kept)
                reason = f"of {item.task!r} is not said at {where} or next to it"
                dropped.append(Dropped(part, value, reason))
                said[part] = None
        items.append(ActionItem(task=item.task, evidence=kept, **said))
    chapters = []
    for chapter in notes.chapters:  # a title names a part; it need not repeat its words
        if kept := evidence("chapter", chapter.title, chapter.evidence, echo=False):
            chapters.append(Chapter(title=chapter.title, evidence=kept))
    kept_notes = Notes.model_construct(
        title=notes.title, summary=summary, action_items=items, chapters=chapters
    )
    return Grounded(kept_notes, dropped)


def said_in(value: str, text: str) -> bool:
    """Whether every word of ``value`` that carries meaning is in ``text``."""
    words = [w for w in WORD.findall(value.casefold()) if w not in FILLER_WORDS]
    heard = set(WORD.findall(text.casefold()))
    return bool(words) and all(word in heard for word in words)


def echoes(claim: str, text: str) -> bool:
    """Whether ``claim`` shares a word that carries meaning with ``text``, compared by
    their first letters so that "approved" meets "approve" and "budgets" "budget"."""
    return bool(_stems(claim) & _stems(text))


def _stems(text: str) -> set[str]:
    return {
        word[:STEM_LENGTH]
        for word in WORD.findall(text.casefold())
        if len(word) >= 4 and word not in COMMON_WORDS
    }


def _ids(evidence: Sequence[int]) -> str:
    return ", ".join(str(i) for i in evidence[:5]) + (", ..." if len(evidence) > 5 else "")
