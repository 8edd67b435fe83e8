"""Search whose cost follows the answer: phrases, paging, newest first, a bounded rank."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from mumu.db.models import Recording, Segment
from mumu.library import search as search_module
from mumu.library.search import Within, phrases, search, terms

pytestmark = pytest.mark.both_databases
SAID = [
    "The refund was approved for the customer.",
    "We talked about the refund policy and the refund window.",
    "Nobody asked about a refund today.",
    "The shipping was late again.",
    "A refund policy review is due on Friday.",
]


def segment(recording_id: int, index: int, said: str, **stored: Any) -> Segment:
    """A segment ``index`` of five seconds, at ``index * 5`` s, with what else is given."""
    values: dict[str, Any] = {"avg_logprob": -0.2, "no_speech_prob": 0.01, **stored}
    return Segment(
        recording_id=recording_id,
        idx=index,
        start=index * 5.0,
        end=index * 5.0 + 4,
        text=said,
        **values,
    )


@pytest.fixture
def library(engine: Engine) -> Engine:
    """One recording, one segment per line of ``SAID``, in that order (ids ascending)."""
    with Session(engine) as session:
        recording = Recording(source="/in/call.wav", status="completed")
        session.add(recording)
        session.flush()
        for index, said in enumerate(SAID):
            session.add(segment(recording.id or 0, index, said))
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


def test_hits_only_from_the_recordings_sources_times_and_languages_asked_for(
    library: Engine,
) -> None:
    with Session(library) as session:
        earlier = Recording(
            source="/in/standup-monday.wav",
            status="completed",
            created_at=datetime(2026, 1, 5, tzinfo=UTC),
        )
        session.add(earlier)
        session.flush()
        for index, (said, language) in enumerate(
            [("Die refund kam heute.", "de"), ("The refund is late.", "en")]
        ):
            session.add(segment(earlier.id or 0, index, said, language=language))
        session.commit()
        first, second = 1, earlier.id

    def texts(within: Within) -> set[str]:
        return {hit.text for hit in search(library, "refund", within=within)}

    everything = texts(Within())
    assert {"Die refund kam heute.", "The refund is late."} < everything
    assert texts(Within(recording=second)) == {"Die refund kam heute.", "The refund is late."}
    assert texts(Within(recording=first)) == everything - texts(Within(recording=second))
    assert texts(Within(source="*standup*")) == texts(Within(recording=second))
    assert texts(Within(language="de")) == {"Die refund kam heute."}
    since = datetime.now(UTC) - timedelta(days=1)
    assert texts(Within(since=since)) == texts(Within(recording=first))
    assert texts(Within(recording=second, since=since)) == set()


def test_flagged_segments_do_not_take_the_place_of_hits(
    library: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(library) as session:
        for index in range(3):
            session.add(
                segment(
                    1,
                    20 + index,
                    "refund refund refund",
                    avg_logprob=-2.0,
                    no_speech_prob=0.9,
                    flag="repetition loop",
                )
            )
        session.commit()
    monkeypatch.setattr(search_module, "RANKED_AT_MOST", 2)
    assert len(search(library, "refund", limit=2)) == 2, "the newest matches are flagged"
