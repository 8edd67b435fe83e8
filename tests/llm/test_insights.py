from collections.abc import Callable

import pytest

from mumu.llm.client import get_llm
from mumu.llm.grounding import Chapter, Claim, Notes, Said, Transcript
from mumu.llm.insights import (
    PROMPT_OVERHEAD_TOKENS,
    REPLY_RESERVE_TOKENS,
    NothingGrounded,
    chapter_start,
    chunk_lines,
    generate_insights,
    group_notes,
    reply_tokens_within,
    tidy,
)
from mumu.llm.usage import Usage
from mumu.settings import get_settings
from tests.fake_llm import GOOD, FakeLLM

Start = Callable[[str], FakeLLM]
MEETING = [
    Said(101, 0.0, "Welcome everyone."),
    Said(102, 4.0, "Ann: I will send the minutes by Friday."),
    Said(103, 65.0, "Next, the travel plans."),
]


def notes_of(server: FakeLLM, context_tokens: int = 8192, said: list[Said] = MEETING):  # type: ignore[no-untyped-def]
    return generate_insights(said, get_llm(get_settings().llm), context_tokens)


def test_a_short_transcript_takes_one_request_and_every_claim_cites_a_segment(
    fake_llm: Start,
) -> None:
    server = fake_llm(GOOD)
    result = notes_of(server)
    assert len(server.requests) == 1
    assert result.usage.calls == 1
    assert (
        "[102 @ 00:04] Ann: I will send the minutes by Friday."
        in (server.requests[0]["messages"][1]["content"])
    )
    assert [c.evidence for c in result.notes.summary] == [[101]]
    assert result.notes.action_items[0].evidence == [101]
    assert result.dropped == []


def test_invented_ids_are_sent_back_once_then_dropped_with_the_reason(fake_llm: Start) -> None:
    server = fake_llm(GOOD)
    server.invented = [999999]
    result = notes_of(server)
    assert len(server.requests) == 2
    correction = server.requests[1]["messages"][-1]["content"]
    assert "999999" in correction and "not segments given" in correction
    assert [c.text for c in result.notes.summary] == [
        "Welcome everyone. Ann: I will send the minutes by Friday. Next, the travel plans."
    ]
    assert [i.task for i in result.notes.action_items] == ["Follow up: Welcome everyone."]
    dropped = {(d.kind, d.text): d.reason for d in result.dropped}
    assert dropped[("summary", "The budget was approved.")] == (
        "cites 999999, not segments given, and no segment given says it"
    )
    assert ("action item", "Book the venue") in dropped


def test_a_model_that_corrects_itself_when_asked_keeps_everything(fake_llm: Start) -> None:
    server = fake_llm(GOOD)
    server.invented = [999999]
    server.corrects_when_asked = True
    result = notes_of(server)
    assert len(server.requests) == 2 and result.usage.calls == 2
    assert result.dropped == []


def test_an_owner_not_said_is_struck_and_one_said_is_kept(fake_llm: Start) -> None:
    server = fake_llm(GOOD)
    server.owner = "Bob"
    result = notes_of(server)
    assert result.notes.action_items[0].owner is None
    [struck] = result.dropped
    assert (struck.kind, struck.text) == ("owner", "Bob")
    assert "not said at 00:00 or next to it" in struck.reason
    server.owner = "Ann"  # said in the segment next to the cited one
    result = notes_of(server)
    assert result.notes.action_items[0].owner == "Ann" and result.dropped == []


def test_a_long_transcript_is_mapped_and_reduced_keeping_the_ids(fake_llm: Start) -> None:
    server = fake_llm(GOOD)
    said = [
        Said(1000 + i, i * 5.0, f"Point number {i} about the roadmap. " * 5) for i in range(400)
    ]
    context_tokens = 4096
    result = notes_of(server, context_tokens, said)
    transcript_chars = sum(len(s.text) for s in said)
    reply = reply_tokens_within(context_tokens)
    assert reply == context_tokens // 3 < REPLY_RESERVE_TOKENS, "a small context"
    budget_chars = (context_tokens - PROMPT_OVERHEAD_TOKENS - reply) * 3
    assert transcript_chars > 10 * budget_chars
    assert len(server.requests) > transcript_chars // budget_chars
    for request in server.requests:
        assert len(request["messages"][1]["content"]) <= budget_chars
    merges = [r for r in server.requests if "merge" in r["messages"][0]["content"]]
    assert merges and all('"evidence": [' in r["messages"][1]["content"] for r in merges)
    assert result.usage.calls == len(server.requests)
    assert result.notes.summary[0].evidence == [1000]
    assert result.dropped == []


class CitesNothingReal:
    mode = "fake"

    def complete(self, *_args: object, **_kwargs: object) -> tuple[Notes, Usage]:
        claim = Claim(text="The CEO resigned.", evidence=[424242])
        return Notes(title="t", summary=[claim]), Usage(calls=1)


def test_notes_with_no_sentence_that_holds_are_refused_with_the_reason() -> None:
    with pytest.raises(NothingGrounded, match="The CEO resigned.*cites 424242"):
        generate_insights(MEETING, CitesNothingReal(), 8192)  # type: ignore[arg-type]


def test_chunks_respect_the_budget_and_keep_every_line() -> None:
    lines = [f"[{i}] " + "word " * (i % 40) for i in range(300)]
    chunks = chunk_lines(lines, 500)
    assert all(len(chunk) <= 500 for chunk in chunks)
    assert "\n".join(chunks).split("\n") == lines


def test_merging_always_shrinks_even_when_notes_overflow_the_budget() -> None:
    notes = ["x" * 900] * 7
    groups = group_notes(notes, 1000)
    assert len(groups) < len(notes)
    assert [i for group in groups for i in group] == list(range(7))


def test_chapters_start_where_their_first_cited_segment_does_in_order_once() -> None:
    transcript = Transcript(MEETING)
    notes = Notes(
        title="t",
        summary=[Claim(text="s", evidence=[101])],
        chapters=[
            Chapter(title="budget", evidence=[103]),
            Chapter(title="opening", evidence=[102, 101]),
            Chapter(title="opening again", evidence=[101]),
        ],
    )
    chapters = tidy(notes, transcript).chapters
    assert [(chapter_start(c, transcript), c.title) for c in chapters] == [
        (0.0, "opening"),
        (65.0, "budget"),
    ]
