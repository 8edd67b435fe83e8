"""Notes that rest on what was said: every claim cites transcript segments, checked here.

The LLM sees each segment with its id and must cite, for every summary sentence, action
item and chapter, the ids it rests on. A citation holds when the id was among those
given (so an invented id, or one from another recording, does not); a summary sentence
or a task must share a word that carries meaning with what it cites (a real id under an
unrelated sentence is no evidence); an action item's owner and due date hold when their
words are said in a cited segment or next to one. "Next to" is the segment before or
after: a reply often names its owner in the line that asks.

Small models write fair sentences and cite badly (nothing, or ids that do not hold).
A claim whose citations fail is not dropped for that alone: the segments given that
share the most words that carry meaning with it (rarer words weigh more) become its
evidence, when they say at least a third of those words, and no where it says no (not
the other way round: "ask not what your country can do" supports a claim about it). Only
a claim that no segment supports is dropped, and a claim said twice is kept once.
``problems`` lists what still does not hold, for asking the LLM again; ``ground`` then
keeps what holds and says, for each thing dropped or struck, why.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from mumu.library.export import clock
from mumu.llm.bounds import clip_text, first_items

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


TITLE_CHARS = 80
SENTENCE_CHARS = 200
TASK_CHARS = 150
NAME_CHARS = 40
CHAPTER_TITLE_CHARS = 60
SUMMARY_SENTENCES = 5
ACTION_ITEMS = 5
CHAPTERS = 6
CITATIONS = 4
SUPPORT_SHARE = 1 / 3
"""Of a claim's words that carry meaning, the share its supporting segments must say
when mumu, not the model, finds them."""

Title = Annotated[
    str, BeforeValidator(clip_text(TITLE_CHARS)), Field(min_length=1, max_length=TITLE_CHARS)
]
Sentence = Annotated[
    str,
    BeforeValidator(clip_text(SENTENCE_CHARS)),
    Field(min_length=1, max_length=SENTENCE_CHARS, description="One sentence of the summary."),
]
Task = Annotated[
    str,
    BeforeValidator(clip_text(TASK_CHARS)),
    Field(min_length=1, max_length=TASK_CHARS, description="What is to be done."),
]
Name = Annotated[str, BeforeValidator(clip_text(NAME_CHARS)), Field(max_length=NAME_CHARS)]
ChapterTitle = Annotated[
    str,
    BeforeValidator(clip_text(CHAPTER_TITLE_CHARS)),
    Field(min_length=1, max_length=CHAPTER_TITLE_CHARS),
]
Evidence = Annotated[
    list[int],
    BeforeValidator(first_items(CITATIONS)),
    Field(max_length=CITATIONS, description="Ids of the transcript segments it rests on."),
]


class Claim(BaseModel):
    text: Sentence
    evidence: Evidence = Field(default_factory=list)


class ActionItem(BaseModel):
    task: Task
    owner: Name | None = Field(default=None, description="Who takes it on, only when said.")
    due: Name | None = Field(default=None, description="When it is due, only when said.")
    evidence: Evidence = Field(default_factory=list)


class Chapter(BaseModel):
    title: ChapterTitle
    evidence: Evidence = Field(default_factory=list)


class Notes(BaseModel):
    """Notes of a recording in which every claim cites the segments it rests on.

    Every list and string is bounded (``mumu.llm.bounds``): a grammar-constrained model
    must close the object, and a reply longer than the bounds is clipped, not refused.
    """

    model_config = ConfigDict(json_schema_extra={"description": "Notes of a transcript."})

    title: Title
    summary: Annotated[
        list[Claim],
        BeforeValidator(first_items(SUMMARY_SENTENCES)),
        Field(min_length=1, max_length=SUMMARY_SENTENCES, description="A few sentences."),
    ]
    action_items: Annotated[
        list[ActionItem], BeforeValidator(first_items(ACTION_ITEMS)), Field(max_length=ACTION_ITEMS)
    ] = Field(default_factory=list)
    chapters: Annotated[
        list[Chapter], BeforeValidator(first_items(CHAPTERS)), Field(max_length=CHAPTERS)
    ] = Field(default_factory=list)


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
        self._stems = [_stems(s.text) for s in self.segments]
        counts: dict[str, int] = {}
        for stems in self._stems:
            for stem in stems:
                counts[stem] = counts.get(stem, 0) + 1
        self._weight = {
            stem: math.log(1 + len(self.segments) / count) for stem, count in counts.items()
        }

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

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

    def supporting(self, claim: str, among: Collection[int], ignoring: str = "") -> list[int]:
        """The segments of ``among`` that share the most meaning-carrying words with
        ``claim``, words of ``ignoring`` aside (each word weighted by how rare it is in
        the recording): the best, and those at least half as good, at most ``CITATIONS``,
        in the order they were said."""
        wanted = _stems(claim) - _stems(ignoring)
        scores: dict[int, float] = {}
        for position, segment in enumerate(self.segments):
            shared = wanted & self._stems[position] if segment.id in among else set()
            if shared:
                scores[position] = sum(self._weight[stem] for stem in shared)
        if not scores:
            return []
        best = max(scores.values())
        ranked = sorted(scores, key=lambda p: -scores[p])[:CITATIONS]
        chosen = sorted(p for p in ranked if scores[p] >= best / 2)
        said = set().union(*(self._stems[p] for p in chosen)) & wanted
        if len(said) < SUPPORT_SHARE * len(wanted):
            return []  # a word in common, but most of the claim is said nowhere
        if denies(claim) and not any(denies(self.segments[p].text) for p in chosen):
            return []  # "refused to approve" does not rest on "will approve"
        return [self.segments[p].id for p in chosen]


REPEATED = "repeats an earlier one"
MARKUP_NOT_SAID = "a link or markup the recording does not say"
MARKUP = re.compile(
    r"!?\[(?P<label>[^\]]*)\]\([^)]*\)"  # markdown image or link: its label stays
    r"|<[^<>]{0,500}>"  # an HTML tag
    r"|\b(?:https?|ftp)://\S+|\bwww\.\S+",  # a bare address
    re.IGNORECASE,
)


def problems(notes: Notes, given: Collection[int], transcript: Transcript) -> list[str]:
    """What does not hold, one line each, as the LLM is told when asked again (a claim
    said twice is not worth a request: it is kept once)."""
    return [
        f"{d.kind} {d.text!r}: {d.reason}"
        for d in ground(notes, given, transcript).dropped
        if d.reason != REPEATED
    ]


def ground(notes: Notes, given: Collection[int], transcript: Transcript) -> Grounded:
    """Keep the claims that rest on the segments given, with only those citations, or
    with the segments that support them where their own citations fail; strike an owner
    or due date that the evidence does not say."""
    dropped: list[Dropped] = []
    seen: set[tuple[str, str]] = set()
    heard_anywhere = transcript.text.casefold()

    def unmarked(kind: str, text: str) -> str:
        """The text without links, images and tags the recording does not say: a model
        (or a transcript it was fed) can slip a tracking image into a fair sentence."""

        def strip(match: re.Match[str]) -> str:
            if match.group().rstrip(".,;:!?").casefold() in heard_anywhere:
                return match.group()
            dropped.append(Dropped(kind, match.group(), MARKUP_NOT_SAID))
            return match.group("label") or ""

        return " ".join(MARKUP.sub(strip, text).split())

    def evidence(kind: str, text: str, cited: list[int], echo: bool = True) -> list[int]:
        """The citations of a claim that hold, or the segments that support it; none,
        with the reason kept, if nothing does."""
        said = (kind, " ".join(WORD.findall(text.casefold())))
        if said in seen:
            dropped.append(Dropped(kind, text, REPEATED))
            return []
        kept = [i for i in dict.fromkeys(cited) if i in given]
        if kept and (not echo or echoes(text, transcript.around(kept))):
            seen.add(said)
            return kept
        if found := transcript.supporting(text, given):
            seen.add(said)
            return found
        if not cited:
            reason = "cites no segment"
        elif not kept:
            reason = f"cites {_ids(cited)}, not segments given"
        else:
            reason = f"shares no word with what it cites ({transcript.where(kept)})"
        dropped.append(Dropped(kind, text, f"{reason}, and no segment given says it"))
        return []

    summary = []
    for claim in notes.summary:
        text = unmarked("summary", claim.text)
        if text and (kept := evidence("summary", text, claim.evidence)):
            summary.append(Claim(text=text, evidence=kept))
    items = []
    for item in notes.action_items:
        task = unmarked("action item", item.task)
        if not task or not (kept := evidence("action item", task, item.evidence)):
            continue
        heard = transcript.around(kept)
        said: dict[str, str | None] = {
            "owner": unmarked("owner", item.owner) if item.owner else None,
            "due": unmarked("due", item.due) if item.due else None,
        }
        for part, value in said.items():
            if value is not None and not said_in(value, heard):
                where = transcript.where(kept)
                reason = f"of {item.task!r} is not said at {where} or next to it"
                dropped.append(Dropped(part, value, reason))
                said[part] = None
        items.append(
            ActionItem(task=task, evidence=kept, **{k: v or None for k, v in said.items()})
        )
    chapters = []
    for chapter in notes.chapters:  # a title names a part; it need not repeat its words
        title = unmarked("chapter", chapter.title)
        if title and (kept := evidence("chapter", title, chapter.evidence, echo=False)):
            chapters.append(Chapter(title=title, evidence=kept))
    kept_notes = Notes.model_construct(
        title=unmarked("title", notes.title) or "Notes",
        summary=summary,
        action_items=items,
        chapters=chapters,
    )
    return Grounded(kept_notes, dropped)


NEGATIONS = frozenset(
    {
        "not", "no", "never", "nobody", "none", "nothing", "neither", "nor", "cannot",
        "refused", "refuses", "rejected", "rejects", "denied", "denies", "declined",
    }
)  # fmt: skip
NEGATION_WORD = re.compile(r"[\w']+")


def denies(text: str) -> bool:
    """Whether ``text`` says no: a negation, or a verb ending in n't."""
    return any(
        word in NEGATIONS or word.endswith("n't") or word.endswith("n’t")
        for word in NEGATION_WORD.findall(text.casefold().replace("’", "'"))
    )


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
