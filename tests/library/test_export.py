import json
import re

from hypothesis import given
from hypothesis import strategies as st

from mumu.db.views import (
    ActionItemView,
    ChapterView,
    ClaimView,
    DroppedView,
    EvidenceView,
    InsightsView,
    RecordingDetail,
    SegmentView,
    StageView,
    TranscriptView,
)
from mumu.library.export import clock, notes_markdown, render, timestamp, to_srt, to_vtt, weak_spot


def detail(
    segments: list[SegmentView] | None, insights: InsightsView | None = None
) -> RecordingDetail:
    transcript = TranscriptView("", "en", "tiny.en", segments) if segments is not None else None
    stages = [StageView("insights", "skipped", 1, 0.0, "no LLM endpoint configured")]
    return RecordingDetail(
        7, "/in/weekly [sync].wav", "ab" * 32, "completed", None, 65.0, "en",
        transcript, insights, stages,
    )  # fmt: skip


DETAIL = detail(
    [
        SegmentView(0.0, 2.5, "Hello there.", []),
        SegmentView(3661.042, 3662.5, "An hour --> later\n\nstill here", []),
    ]
)


def test_timestamps() -> None:
    assert timestamp(0, ",") == "00:00:00,000"
    assert timestamp(3661.042, ".") == "01:01:01.042"


def test_clock_positions_keep_the_hours() -> None:
    assert clock(0) == "00:00"
    assert clock(65.9) == "01:05"
    assert clock(3661.042) == "1:01:01"


def test_srt_is_numbered_cues_with_comma_timestamps() -> None:
    srt = render(DETAIL, "srt")
    blocks = srt.strip().split("\n\n")
    assert len(blocks) == 2
    for number, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        assert lines[0] == str(number)
        assert re.fullmatch(r"\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}", lines[1])
        assert lines[2:]
    assert "01:01:01,042 --> 01:01:02,500" in srt


def test_vtt_has_its_header_and_no_arrow_inside_cue_text() -> None:
    vtt = render(DETAIL, "vtt")
    assert vtt.startswith("WEBVTT\n\n")
    cues = vtt.split("\n\n")[1:]
    assert len([c for c in cues if c.strip()]) == 2
    for cue in filter(str.strip, cues):
        timing, *text = cue.strip().split("\n")
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}", timing)
        assert text and all("-->" not in line for line in text)


def test_txt_is_one_segment_a_line() -> None:
    assert render(DETAIL, "txt").splitlines()[0] == "Hello there."


def test_no_transcript_exports_empty() -> None:
    assert render(detail(None), "srt") == ""


def test_notes_say_why_there_are_none() -> None:
    notes = notes_markdown(detail([]))
    assert notes.startswith("# weekly \\[sync\\]\\.wav\n")
    assert "recording 7 · weekly \\[sync\\]\\.wav · completed · 01:05 · en" in notes
    assert "_No notes: no LLM endpoint configured._" in notes


def test_notes_escape_what_the_llm_wrote() -> None:
    insights = InsightsView(
        title="[click](http://evil.example/) ![x](http://evil.example/t.png)",
        summary="We agreed.",
        action_items=[ActionItemView("Send *the* minutes", "Ann", "Friday")],
        chapters=[ChapterView(60.0, "<b>Budget</b>")],
        model="m",
        prompt_tokens=1,
        completion_tokens=1,
    )
    notes = notes_markdown(detail([], insights))
    assert "](http" not in notes and "<b>" not in notes
    assert "- Send \\*the\\* minutes (owner: Ann, due: Friday)" in notes
    assert "- 01:00 \\<b\\>Budget\\</b\\>" in notes


def test_the_notes_export_links_every_claim_to_its_line_in_the_transcript() -> None:
    said = [
        SegmentView(5.0, 9.0, "We ship on Friday.", [], id=41, speaker="Ann"),
        SegmentView(65.0, 70.0, "Budget [next].", [], id=42),
        SegmentView(71.0, 72.0, "uh uh uh", [], flag="repetition loop", id=43),
    ]
    insights = InsightsView(
        title="Launch",
        summary="We ship on Friday.",
        action_items=[ActionItemView("Ship", "Ann", "Friday", [EvidenceView(41, 5.0)])],
        chapters=[ChapterView(65.0, "Budget", [EvidenceView(42, 65.0)])],
        model="m",
        prompt_tokens=1,
        completion_tokens=1,
        summary_claims=[
            ClaimView("We ship on Friday.", [EvidenceView(41, 5.0), EvidenceView(42, 65.0)]),
            ClaimView("Stale.", [EvidenceView(7, None)]),
        ],
        dropped=[DroppedView("owner", "Bob", "of 'Ship' is not said at 00:05 or next to it")],
    )
    notes = render(detail(said, insights), "notes")
    assert "- We ship on Friday\\. [00:05](#s-41), [01:05](#s-42)\n" in notes
    assert "- Stale\\.\n" in notes, "a segment no longer stored gives no link"
    assert "- Ship (owner: Ann, due: Friday) [00:05](#s-41)" in notes
    assert "- [01:05](#s-42) Budget" in notes
    assert "- owner 'Bob': of 'Ship' is not said at 00:05 or next to it" in notes.replace("\\", "")
    assert '<a id="s-41"></a>**00:05** Ann: We ship on Friday\\.  \n' in notes
    assert '<a id="s-42"></a>**01:05** Budget \\[next\\]\\.' in notes
    assert '<a id="s-43"></a>**01:11** \\[unclear\\]' in notes
    artifact = notes_markdown(detail(said, insights))
    assert "- We ship on Friday\\. (00:05, 01:05)" in artifact
    assert "](#s-" not in artifact and "## Transcript" not in artifact


def test_a_reader_is_told_which_lines_to_check_and_why() -> None:
    heard = [
        {"word": " Ma,", "probability": 0.31},
        {"word": " please", "probability": 0.93},
        {"word": " update", "probability": 0.48},
    ]
    misheard = SegmentView(0.0, 2.0, "Ma, please update", heard, id=1)
    doubted = SegmentView(2.0, 4.0, "Pierre doit envoyer", [], id=2, doubt="unclear: 0.55")
    clear = SegmentView(4.0, 6.0, "Thanks.", [{"word": " Thanks.", "probability": 0.99}], id=3)
    kept_out = SegmentView(6.0, 8.0, "la la la la", heard, flag="repetition loop", id=4)
    assert weak_spot(misheard) == "check “Ma”, “update”"
    assert weak_spot(doubted) == "unclear: 0.55"
    assert weak_spot(clear) is None and weak_spot(kept_out) is None
    notes = render(detail([misheard, doubted, clear, kept_out]), "notes")
    assert "Ma, please update _(unsure: check “Ma”, “update”)_  \n" in notes
    assert "Pierre doit envoyer _(unsure: unclear: 0\\.55)_" in notes
    assert "Thanks\\.  \n" in notes
    assert '"doubt": "unclear: 0.55"' in render(detail([doubted]), "json")


segments = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=36_000, allow_nan=False),
        st.floats(min_value=0, max_value=60, allow_nan=False),
        st.text(max_size=60),
    ),
    max_size=8,
).map(lambda items: [SegmentView(start, start + length, text, []) for start, length, text in items])
SRT_TIME = r"(\d\d):(\d\d):(\d\d),(\d{3})"


@given(segments)
def test_srt_always_parses_back_into_the_same_cues(items: list[SegmentView]) -> None:
    srt = to_srt(items)
    blocks = [b for b in srt.split("\n\n") if b.strip()]
    assert len(blocks) == len(items)
    for number, (block, item) in enumerate(zip(blocks, items, strict=True), start=1):
        index, timing, *text = block.strip("\n").split("\n")
        assert index == str(number)
        match = re.fullmatch(f"{SRT_TIME} --> {SRT_TIME}", timing)
        assert match
        h, m, s, ms = (int(g) for g in match.groups()[:4])
        assert abs(h * 3600 + m * 60 + s + ms / 1000 - item.start) <= 0.0015
        assert text and all(line.strip() and "-->" not in line for line in text)


def test_vtt_cue_text_is_escaped_and_arrows_stay_broken() -> None:
    vtt = to_vtt([SegmentView(0.0, 1.0, "a ---> b <c.x>tag</c> & co ----> d", [])])
    cue = vtt.split("\n")[3]
    assert cue == "a -> b &lt;c.x>tag&lt;/c> &amp; co -> d"


@given(segments)
def test_vtt_always_has_a_header_and_well_formed_cues(items: list[SegmentView]) -> None:
    vtt = to_vtt(items)
    assert vtt.startswith("WEBVTT\n\n")
    cues = [c for c in vtt.removeprefix("WEBVTT\n\n").split("\n\n") if c.strip()]
    assert len(cues) == len(items)
    for cue in cues:
        timing, *text = cue.strip("\n").split("\n")
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}", timing)
        assert text and all(line.strip() and "-->" not in line for line in text)
        unescaped = [re.sub(r"&(amp|lt);", "", line) for line in text]
        assert not any("<" in line or "&" in line for line in unescaped)


def test_speakers_are_named_in_every_format() -> None:
    said = [
        SegmentView(0.0, 1.0, "Hello.", [], channel=1, speaker="Agent"),
        SegmentView(0.5, 2.0, "Hi <there>.", [], channel=2, speaker="Ann <B> & --> Co"),
    ]
    assert to_srt(said).split("\n")[2] == "Agent: Hello."
    cues = to_vtt(said).split("\n")
    assert cues[3] == "<v Agent>Hello."
    assert cues[6] == "<v Ann &lt;B&gt; &amp; -&gt; Co>Hi &lt;there>."
    assert render(detail(said), "txt") == "Agent: Hello.\nAnn <B> & --> Co: Hi <there>.\n"


def test_a_chapter_links_its_earliest_moment_and_escapes_are_made_inert() -> None:
    said = [SegmentView(5.0, 9.0, "Budget.", [], id=1), SegmentView(40.0, 41.0, "More.", [], id=2)]
    insights = InsightsView(
        title="\x1b]8;;http://evil.example\x07Launch",
        summary="s",
        action_items=[],
        chapters=[ChapterView(5.0, "Budget", [EvidenceView(2, 40.0), EvidenceView(1, 5.0)])],
        model="m",
        prompt_tokens=1,
        completion_tokens=1,
    )
    notes = render(detail(said, insights), "notes")
    assert "- [00:05](#s-1) Budget" in notes
    assert "\x1b" not in notes and "\x07" not in notes


def test_characters_that_hide_or_reorder_text_are_left_out_of_every_export() -> None:
    hidden = detail([SegmentView(0.0, 2.0, "pay to \u202eevil\u200b.exe", [])])
    for fmt in ("txt", "srt", "vtt", "json", "notes"):
        exported = render(hidden, fmt)
        assert "\u202e" not in exported and "\u200b" not in exported, fmt
        assert "evil" in exported, fmt
    assert json.loads(render(hidden, "json"))["transcript"]["segments"][0]["text"] == (
        "pay to \u202eevil\u200b.exe"
    ), "JSON keeps the text as stored, escaped"
