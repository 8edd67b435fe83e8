from mumu.llm.grounding import (
    REPEATED,
    SENTENCE_CHARS,
    SUMMARY_SENTENCES,
    ActionItem,
    Chapter,
    Claim,
    Notes,
    Said,
    Transcript,
    ground,
    said_in,
)

NOTHING_SUPPORTS = ", and no segment given says it"

THIS_RECORDING = [
    Said(7, 0.0, "Let's review the launch."),
    Said(8, 12.0, "Priya: I'll draft the press release."),
    Said(9, 20.0, "It has to be out by the end of March."),
    Said(10, 95.0, "Anything else? No."),
]
ANOTHER_RECORDING_SEGMENT = 3
REVIEWED = Claim(text="The launch was reviewed.", evidence=[7])


def grounded(notes: Notes) -> tuple[Notes, dict[tuple[str, str], str]]:
    given = {s.id for s in THIS_RECORDING}
    result = ground(notes, given, Transcript(THIS_RECORDING))
    return result.notes, {(d.kind, d.text): d.reason for d in result.dropped}


def notes(*claims: Claim, items: list[ActionItem] | None = None) -> Notes:
    return Notes(title="Launch", summary=list(claims), action_items=items or [])


def test_a_citation_of_another_recording_or_of_nothing_drops_the_claim() -> None:
    kept, dropped = grounded(
        notes(
            Claim(text="The launch was reviewed.", evidence=[7]),
            Claim(text="Sales doubled.", evidence=[ANOTHER_RECORDING_SEGMENT]),
            Claim(text="Everyone agreed.", evidence=[]),
        )
    )
    assert [c.text for c in kept.summary] == ["The launch was reviewed."]
    assert dropped == {
        ("summary", "Sales doubled."): "cites 3, not segments given" + NOTHING_SUPPORTS,
        ("summary", "Everyone agreed."): "cites no segment" + NOTHING_SUPPORTS,
    }


def test_a_claim_keeps_only_the_citations_that_hold() -> None:
    kept, dropped = grounded(notes(Claim(text="Priya drafts it.", evidence=[8, 123456, 8])))
    assert kept.summary[0].evidence == [8]
    assert dropped == {}


def test_owner_and_due_hold_when_said_in_or_next_to_the_cited_segment() -> None:
    item = ActionItem(task="Draft the press release", owner="Priya", due="end of March")
    kept, dropped = grounded(notes(REVIEWED, items=[item.model_copy(update={"evidence": [8]})]))
    assert (kept.action_items[0].owner, kept.action_items[0].due) == ("Priya", "end of March")
    assert dropped == {}


def test_an_owner_or_due_date_not_said_is_struck_and_the_task_kept() -> None:
    item = ActionItem(task="Draft the press release", owner="Tom", due="April 2", evidence=[8])
    kept, dropped = grounded(notes(REVIEWED, items=[item]))
    assert [(i.task, i.owner, i.due) for i in kept.action_items] == [
        ("Draft the press release", None, None)
    ]
    assert dropped[("owner", "Tom")].endswith("is not said at 00:12 or next to it")
    assert ("due", "April 2") in dropped


def test_said_in_needs_every_word_that_carries_meaning() -> None:
    assert said_in("by Friday", "we ship on friday.")
    assert said_in("next week", "Next week, then.")
    assert not said_in("next Tuesday", "see you next week")
    assert not said_in("the", "the the the")


def test_a_sentence_that_shares_no_word_with_what_it_cites_is_no_evidence() -> None:
    kept, dropped = grounded(
        notes(
            Claim(text="A difficult task has been assigned to you.", evidence=[7]),
            Claim(text="Priya drafted releases before.", evidence=[8]),
            items=[ActionItem(task="Book the venue", evidence=[10])],
        )
    )
    assert [c.text for c in kept.summary] == ["Priya drafted releases before."]
    assert dropped == {
        ("summary", "A difficult task has been assigned to you."): (
            "shares no word with what it cites (00:00)" + NOTHING_SUPPORTS
        ),
        ("action item", "Book the venue"): (
            "shares no word with what it cites (01:35)" + NOTHING_SUPPORTS
        ),
    }


def test_a_claim_that_cites_nothing_rests_on_the_segments_that_say_it() -> None:
    """A small model writes the sentence and forgets the ids: mumu finds them."""
    kept, dropped = grounded(
        notes(
            Claim(text="Priya will draft the press release.", evidence=[]),
            Claim(text="The release is due by the end of March.", evidence=[]),
            items=[ActionItem(task="Draft the press release", owner="Priya", evidence=[99])],
        )
    )
    assert [c.evidence for c in kept.summary] == [[8], [8, 9]]
    assert [(i.evidence, i.owner) for i in kept.action_items] == [([8], "Priya")]
    assert dropped == {}


def test_the_rarer_shared_word_decides_which_segment_supports_a_claim() -> None:
    said = [
        Said(1, 0.0, "The budget meeting starts now."),
        Said(2, 5.0, "The budget for the offsite is approved."),
        Said(3, 9.0, "The budget again, the budget always."),
    ]
    transcript = Transcript(said)
    assert transcript.supporting("The offsite budget was approved.", {1, 2, 3}) == [2]
    assert transcript.supporting("Nothing of this was said.", {1, 2, 3}) == []
    assert transcript.supporting("The offsite budget was approved.", {1, 3}) == [1, 3]


def test_a_claim_said_twice_is_kept_once_and_a_chapter_is_placed_by_its_title() -> None:
    looped = Notes(
        title="Launch",
        summary=[REVIEWED, REVIEWED.model_copy(update={"evidence": []})],
        chapters=[Chapter(title="The press release", evidence=[])],
    )
    kept, dropped = grounded(looped)
    assert [c.text for c in kept.summary] == ["The launch was reviewed."]
    assert dropped == {("summary", "The launch was reviewed."): REPEATED}
    assert [c.evidence for c in kept.chapters] == [[8]]


def test_a_reply_past_the_bounds_is_clipped_not_refused() -> None:
    sentence = "We talked about the launch plan and the press release in detail " * 20
    notes = Notes.model_validate(
        {
            "title": "Launch review. " * 30,
            "summary": [
                {"text": f"{n}: {sentence}", "evidence": [7, 8, 9, 10, 7]} for n in range(9)
            ],
            "action_items": [{"task": "Draft it", "owner": "Priya " * 30}] * 9,
        }
    )
    assert notes.title == "Launch review."
    assert len(notes.summary) == SUMMARY_SENTENCES
    assert all(len(c.text) <= SENTENCE_CHARS and c.text.endswith("…") for c in notes.summary)
    assert notes.summary[0].evidence == [7, 8, 9, 10]
    assert len(notes.action_items) == 5 and notes.action_items[0].owner == "Priya"


def test_a_claim_that_says_no_where_the_transcript_says_yes_is_not_re_grounded() -> None:
    said = [Said(1, 0.0, "Alice will approve the budget tomorrow."), Said(2, 4.0, "Next.")]
    transcript = Transcript(said)
    assert transcript.supporting("Alice refused to approve the budget.", {1, 2}) == []
    assert transcript.supporting("Alice didn't approve the budget.", {1, 2}) == []
    assert transcript.supporting("Alice will approve the budget.", {1, 2}) == [1]
    kennedy = Transcript([Said(1, 0.0, "Ask not what your country can do for you.")])
    assert kennedy.supporting("Serve your country.", {1}) == [1], "a 'not' elsewhere is fine"


def test_a_claim_said_again_with_good_evidence_is_kept_when_the_first_saying_was_not() -> None:
    kept, dropped = grounded(
        notes(
            Claim(text="Sales doubled.", evidence=[99]),
            Claim(text="Sales doubled!", evidence=[ANOTHER_RECORDING_SEGMENT]),
            Claim(text="Priya drafts the press release.", evidence=[99]),
            Claim(text="Priya drafts the press release", evidence=[8]),
        )
    )
    assert [(c.text, c.evidence) for c in kept.summary] == [
        ("Priya drafts the press release.", [8])
    ]
    assert dropped[("summary", "Priya drafts the press release")] == REPEATED


def test_links_and_markup_the_recording_does_not_say_are_not_evidence() -> None:
    tracker = "![](https://track.example/p.gif?u=42)"
    kept, dropped = grounded(
        Notes(
            title="Launch <img src=x onerror=alert(1)>",
            summary=[
                Claim(text=f"The launch was reviewed. {tracker}", evidence=[7]),
                Claim(text="[Read more](http://evil.example) www.evil.example", evidence=[7]),
            ],
            action_items=[
                ActionItem(
                    task="Draft the [press release](https://evil.example/x)",
                    owner="<b>Priya</b>",
                    evidence=[8],
                )
            ],
        )
    )
    assert kept.title == "Launch"
    assert [c.text for c in kept.summary] == ["The launch was reviewed."]
    [item] = kept.action_items
    assert (item.task, item.owner) == ("Draft the press release", "Priya")
    assert dropped[("summary", tracker)] == "a link or markup the recording does not say"
    assert ("action item", "[press release](https://evil.example/x)") in dropped
    assert ("summary", "Read more") in dropped, "what is left of it is said nowhere"


def test_an_address_that_was_said_stays() -> None:
    said = [Said(1, 0.0, "The notes are on www.example.org/launch for everyone.")]
    result = ground(
        Notes(
            title="Notes",
            summary=[Claim(text="Notes are on www.example.org/launch.", evidence=[1])],
        ),
        {1},
        Transcript(said),
    )
    assert result.notes.summary[0].text == "Notes are on www.example.org/launch."
