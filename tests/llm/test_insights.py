from collections.abc import Callable

from mumu.llm.client import get_llm
from mumu.llm.insights import (
    Chapter,
    Insights,
    TimedText,
    chunk_lines,
    generate_insights,
    group_notes,
    tidy,
)
from mumu.settings import get_settings
from tests.fake_llm import GOOD, FakeLLM


def test_a_short_transcript_takes_one_request(fake_llm: Callable[[str], FakeLLM]) -> None:
    server = fake_llm(GOOD)
    lines = [TimedText(0.0, "Welcome everyone."), TimedText(4.0, "Ann sends the minutes.")]
    result = generate_insights(lines, 10.0, get_llm(get_settings()), context_tokens=8192)
    assert len(server.requests) == 1
    assert result.usage.calls == 1
    assert result.insights.action_items[0].owner == "Ann"
    assert "[4] Ann sends the minutes." in server.requests[0]["messages"][1]["content"]


def test_a_long_transcript_is_mapped_and_reduced_within_the_context(
    fake_llm: Callable[[str], FakeLLM],
) -> None:
    server = fake_llm(GOOD)
    lines = [TimedText(i * 5.0, f"Point number {i} about the roadmap. " * 5) for i in range(400)]
    context_tokens = 4096
    result = generate_insights(lines, 2000.0, get_llm(get_settings()), context_tokens)
    transcript_chars = sum(len(line.text) for line in lines)
    budget_chars = (context_tokens - 3000) * 3
    assert transcript_chars > 10 * budget_chars
    assert len(server.requests) > transcript_chars // budget_chars
    for request in server.requests:
        assert len(request["messages"][1]["content"]) <= budget_chars
    assert result.usage.calls == len(server.requests)
    assert result.usage.prompt_tokens > 0
    assert result.insights.title


def test_chunks_respect_the_budget_and_keep_every_line() -> None:
    lines = [f"[{i}] " + "word " * (i % 40) for i in range(300)]
    chunks = chunk_lines(lines, 500)
    assert all(len(chunk) <= 500 for chunk in chunks)
    assert "\n".join(chunks).split("\n") == lines


def test_merging_always_shrinks_even_when_notes_overflow_the_budget() -> None:
    notes = ["x" * 900] * 7
    groups = group_notes(notes, 1000)
    assert len(groups) < len(notes)


def test_chapters_are_sorted_deduplicated_and_inside_the_recording() -> None:
    insights = Insights(
        title="t",
        summary="s",
        chapters=[
            Chapter(start=50, title="late"),
            Chapter(start=5, title="early"),
            Chapter(start=5, title="twice"),
            Chapter(start=999, title="beyond"),
        ],
    )
    chapters = tidy(insights, duration_s=60).chapters
    assert [(c.start, c.title) for c in chapters] == [(5, "early"), (50, "late"), (60, "beyond")]
