"""Answers from the recordings, with citations a person can check.

The question retrieves the best matching segments (with their neighbours for context);
the LLM answers from those alone and cites them by number. A citation of anything not
provided fails validation and is sent back once with the error, like any other
validation failure; a second failure fails the answer. An answer that cites nothing is
kept only where the segments given support it (the words it adds to the question are
said there, ``Transcript.supporting``), and then cites those; otherwise there is no
grounded answer. With nothing retrieved, or no LLM, mumu says so plainly and still
shows the best matches.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo, field_validator
from sqlalchemy import Engine

from mumu.db.engine import transaction
from mumu.db.models import Question
from mumu.db.retry import retrying
from mumu.library.export import clock
from mumu.library.search import Hit, find, neighbours
from mumu.llm.bounds import clip_text, first_items
from mumu.llm.budget import Budget, Waiting
from mumu.llm.client import LLMError, get_llm
from mumu.llm.grounding import Said, Transcript
from mumu.setting_groups import LLMConfig
from mumu.speakers import spoken_by

ANSWERED = "answered"
NO_MATCH = "no_match"
NO_LLM = "no_llm"
UNGROUNDED = "ungrounded"
FAILED = "failed"
ANSWER_CHARS = 600
ANSWER_CITATIONS = 8

SYSTEM_PROMPT = (
    "You answer questions about recorded meetings using only the numbered transcript "
    "segments given. Cite every segment your answer relies on by its number. If the "
    "segments do not contain the answer, say that the recordings do not say, and cite "
    "nothing."
)


class CitedAnswer(BaseModel):
    answer: Annotated[
        str,
        BeforeValidator(clip_text(ANSWER_CHARS)),
        Field(min_length=1, max_length=ANSWER_CHARS),
    ]
    citations: Annotated[
        list[int],
        BeforeValidator(first_items(ANSWER_CITATIONS)),
        Field(max_length=ANSWER_CITATIONS, description="Numbers of segments used."),
    ] = Field(default_factory=list)

    @field_validator("citations")
    @classmethod
    def cite_only_what_was_given(cls, citations: list[int], info: ValidationInfo) -> list[int]:
        provided = (info.context or {}).get("provided", 0)
        unknown = [number for number in citations if not 1 <= number <= provided]
        if unknown:
            raise ValueError(
                f"cites {unknown}, which were not among the segments provided (1 to {provided})"
            )
        return list(dict.fromkeys(citations))


@dataclass
class Citation:
    recording_id: int
    source: str
    start: float
    end: float
    text: str
    speaker: str | None = None

    @property
    def label(self) -> str:
        said = f"{self.source} @ {clock(self.start)}"
        return f"{said}, {self.speaker}" if self.speaker else said


@dataclass
class AskResult:
    question: str
    status: str
    answer: str
    citations: list[Citation] = field(default_factory=list)
    matches: list[Hit] = field(default_factory=list)
    question_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["citations"] = [asdict(c) | {"label": c.label} for c in self.citations]
        body["matches"] = [hit.as_dict() for hit in self.matches]
        return body


def answer_question(
    question: str,
    llm: LLMConfig,
    engine: Engine,
    limit: int = 8,
    on_wait: Waiting | None = None,
) -> AskResult:
    hits = find(engine, llm, question, limit)
    if not hits:
        result = AskResult(
            question, NO_MATCH, "Nothing in the stored recordings matches this question."
        )
        return _store(engine, result, llm)
    if not llm.configured:
        result = AskResult(
            question,
            NO_LLM,
            "No LLM endpoint is configured, so there is no answer; these segments match best.",
            matches=hits,
        )
        return _store(engine, result, llm)
    passages = neighbours(engine, hits)
    numbered = "\n".join(
        f"[{number}] {hit.source} @ {hit.start:.0f}-{hit.end:.0f} s: "
        f"{spoken_by(hit.speaker)}{hit.text}"
        for number, hit in enumerate(passages, start=1)
    )
    try:
        reply, usage = get_llm(llm).complete(
            SYSTEM_PROMPT,
            f"Segments:\n{numbered}\n\nQuestion: {question}",
            CitedAnswer,
            context={"provided": len(passages)},
            budget=Budget(llm.budget_s, "the answer", "MUMU_LLM_BUDGET_S", on_wait),
        )
    except LLMError as exc:
        result = AskResult(question, FAILED, f"No answer: {exc}", matches=hits)
        return _store(engine, result, llm)
    cited = reply.citations or supporting(reply.answer, question, passages)
    if not cited:
        result = AskResult(question, UNGROUNDED, NO_GROUNDED_ANSWER, matches=hits)
        return _store(engine, result, llm, usage.prompt_tokens, usage.completion_tokens)
    citations = [
        Citation(hit.recording_id, hit.source, hit.start, hit.end, hit.text, hit.speaker)
        for hit in (passages[number - 1] for number in cited)
    ]
    result = AskResult(question, ANSWERED, reply.answer, citations, hits)
    return _store(engine, result, llm, usage.prompt_tokens, usage.completion_tokens)


NO_GROUNDED_ANSWER = (
    "No grounded answer: the model's answer cites none of the segments given, and none of "
    "them says what it adds to the question. These segments match best."
)


def supporting(answer: str, question: str, passages: list[Hit]) -> list[int]:
    """The numbers of the passages that say what ``answer`` adds to ``question``: an
    answer that only repeats the question is supported by nothing."""
    transcript = Transcript([Said(n, hit.start, hit.text) for n, hit in enumerate(passages, 1)])
    return transcript.supporting(answer, range(1, len(passages) + 1), ignoring=question)


def markdown(result: AskResult) -> str:
    lines = [f"# {result.question}", "", result.answer, ""]
    if result.citations:
        lines += ["## Sources", ""]
        lines += [f"- `{c.label}`: {c.text}" for c in result.citations]
    elif result.matches:
        lines += ["## Best matching segments", ""]
        lines += [
            f"- `{hit.source} @ {clock(hit.start)}`: {spoken_by(hit.speaker)}{hit.text}"
            for hit in result.matches
        ]
    return "\n".join(lines) + "\n"


@retrying
def _store(
    engine: Engine,
    result: AskResult,
    llm: LLMConfig,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
) -> AskResult:
    with transaction(engine) as session:
        row = Question(
            question=result.question,
            answer=result.answer,
            status=result.status,
            citations=[asdict(c) for c in result.citations],
            model=llm.model if llm.configured else None,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
        session.add(row)
        session.flush()
        result.question_id = row.id
    return result
