from mumu.llm.grounding import ActionItem, Claim, Notes, Said, Transcript, ground, said_in

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
        ("summary", "Sales doubled."): "cites 3, not segments given",
        ("summary", "Everyone agreed."): "cites no segment",
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
            "shares no word with what it cites (00:00)"
        ),
        ("action item", "Book the venue"): "shares no word with what it cites (01:35)",
    }
