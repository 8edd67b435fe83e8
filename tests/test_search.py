"""Search whose cost follows the answer: phrases, paging, newest first, a bounded rank."""

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from mumu import search as search_module
from mumu.db.models import Recording, Segment
from mumu.search import phrases, search, terms

pytestmark = pytest.mark.both_databases
SAID = [
    "The refund was approved for the customer.",
    "We talked about the refund policy and the refund window.",
    "Nobody asked about a refund today.",
    "The shipping was late again.",
    "A refund policy review is due on Friday.",
]


@pytest.fixture
def library(engine: Engine) -> Engine:
    """One recording, one segment per line of ``SAID``, in that order (ids ascending)."""
    with Session(engine) as session:
        recording = Recording(source="/in/call.wav", status="completed")
        session.add(recording)
        session.flush()
        for index, said in enumerate(SAID):
            session.add(
                Segment(
                    recording_id=recording.id or 0,
                    idx=index,
                    start=index * 5.0,
                    end=index * 5.0 + 4,
                    text=said,
                    avg_logprob=-0.2,
                    no_speech_prob=0.01,
                )
            )
        session.commit()
    return engine


def found(hits: list[search_module.Hit]) -> list[int]:
    return [SAID.index(hit.text) for hit in hits]


def test_a_quoted_phrase_must_be_said_as_written(library: Engine) -> None:
    assert terms('the "refund policy" review') == ["review"]
    assert phrases('the "Refund, policy" review') == ["refund policy"]
    assert sorted(found(search(library, '"refund policy"'))) == [1, 4]
    assert found(search(library, '"policy refund"')) == []
    assert found(search(library, 'shipping "refund policy"')) == []


def test_hits_come_a_page_at_a_time_best_or_newest_first(library: Engine) -> None:
    best = found(search(library, "refund", limit=10))
    assert best[0] == 1, "the segment saying refund twice ranks first"
    assert sorted(best) == [0, 1, 2, 4]
    assert (
        found(search(library, "refund", limit=2))
        + found(search(library, "refund", limit=2, offset=2))
        == best
    )
    assert found(search(library, "refund", newest=True)) == [4, 2, 1, 0]


def test_only_the_most_recent_matches_are_ranked(
    library: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "RANKED_AT_MOST", 2)
    [hit] = found(search(library, "refund", limit=1))
    assert hit in (2, 4), "the better of the two newest matches; 1 is not looked at"
    assert found(search(library, "refund", limit=3)) != found(search(library, "refund"))[:3]
