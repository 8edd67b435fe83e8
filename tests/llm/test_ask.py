"""Search and ask over the real transcripts of ../shared/data, on both databases.

The recordings are transcribed once per database for the whole module; each test starts
from that library without the questions and embeddings earlier tests stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from mumu.db.engine import get_engine
from mumu.db.models import Question, Segment, SegmentEmbedding
from mumu.db.recordings import name_speakers
from mumu.library.search import search
from mumu.llm import ask
from mumu.settings import get_settings
from tests.conftest import DATA_DIR, create_database, drop_database, run_mumu, user_environment
from tests.fake_llm import (
    ALWAYS_BAD_CITATION,
    BAD_CITATION_ONCE,
    GOOD,
    GUESSES,
    UNCITED,
    FakeLLM,
)
from tests.flows import batch

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def library(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """../shared/data transcribed once per database for this module's readers."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('library') / 'mumu.db'}"
    else:
        url = create_database("library")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MUMU_DATABASE_URL", url)
        get_settings.cache_clear()
        outcomes = batch([str(DATA_DIR)])
    get_settings.cache_clear()
    assert all(o.completed for o in outcomes)
    yield url
    if request.param == "postgres":
        drop_database(url)


@pytest.fixture
def transcribed(library: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The library, as this test's database, without what earlier tests asked or embedded."""
    monkeypatch.setenv("MUMU_DATABASE_URL", library)
    get_settings.cache_clear()
    engine = get_engine(library)
    with engine.begin() as connection:
        connection.execute(delete(Question))
        connection.execute(delete(SegmentEmbedding))
    yield engine
    get_settings.cache_clear()


def name(source: str) -> str:
    return Path(source).name


def test_a_question_about_the_wizard_finds_the_stereo_recording(transcribed: Engine) -> None:
    hits = search(transcribed, "Who complained about the wizard behind the curtain?")
    assert hits
    assert name(hits[0].source) == "stereo_diarization.wav"
    assert hits == sorted(hits, key=lambda h: -h.score)
    assert 0 <= hits[0].start < hits[0].end <= 5.1


def test_a_question_about_the_licence_finds_the_multilingual_recording(
    transcribed: Engine,
) -> None:
    hits = search(transcribed, "What does the licence allow: copies of the software?")
    assert hits and name(hits[0].source) == "multilingual.mp3"
    assert "software" in hits[0].text.lower()


def test_words_nobody_said_find_nothing(transcribed: Engine) -> None:
    assert search(transcribed, "zeppelin xylophone") == []
    assert search(transcribed, "what did they say") == []


def test_an_answer_cites_stored_segments(
    transcribed: Engine, fake_llm: Callable[[str], FakeLLM]
) -> None:
    server = fake_llm(GOOD)
    result = ask.answer_question(
        "What about the wizard who vanished behind the curtain?", get_settings().llm, transcribed
    )
    assert result.status == ask.ANSWERED
    assert [name(c.source) for c in result.citations] == ["stereo_diarization.wav"]
    assert "curtain" in result.citations[0].text.lower()
    assert result.citations[0].label.startswith(result.citations[0].source + " @ 00:0")
    assert len(server.requests) == 1
    with Session(transcribed) as session:
        stored = session.exec(select(Question)).one()
    assert stored.status == "answered" and stored.citations[0]["source"].endswith(
        "stereo_diarization.wav"
    )
    assert stored.prompt_tokens > 0


def test_named_speakers_are_found_told_to_the_llm_and_cited(
    transcribed: Engine, fake_llm: Callable[[str], FakeLLM]
) -> None:
    [hit] = search(transcribed, "horizon")
    assert hit.speaker == "channel 2"
    name_speakers(transcribed, hit.recording_id, {1: "Agent", 2: "Customer"}, 120)
    try:
        server = fake_llm(GOOD)
        result = ask.answer_question("What about the horizon?", get_settings().llm, transcribed)
        assert search(transcribed, "horizon")[0].speaker == "Customer"
    finally:
        name_speakers(transcribed, hit.recording_id, {1: "", 2: ""}, 120)
    assert "Customer: The horizon" in server.requests[0]["messages"][-1]["content"]
    assert result.citations
    assert all(c.label.endswith((", Agent", ", Customer")) for c in result.citations)


def test_a_citation_of_something_not_retrieved_is_sent_back_once(
    transcribed: Engine, fake_llm: Callable[[str], FakeLLM]
) -> None:
    server = fake_llm(BAD_CITATION_ONCE)
    result = ask.answer_question(
        "What about the wizard who vanished behind the curtain?", get_settings().llm, transcribed
    )
    assert result.status == ask.ANSWERED
    assert len(server.requests) == 2
    assert "not among the segments provided" in server.requests[1]["messages"][-1]["content"]
    assert name(result.citations[0].source) == "stereo_diarization.wav"


def test_an_answer_that_keeps_citing_the_unknown_is_refused(
    transcribed: Engine, fake_llm: Callable[[str], FakeLLM]
) -> None:
    fake_llm(ALWAYS_BAD_CITATION)
    result = ask.answer_question(
        "What about the wizard who vanished behind the curtain?", get_settings().llm, transcribed
    )
    assert result.status == ask.FAILED
    assert "not among the segments provided" in result.answer
    assert result.citations == []
    assert name(result.matches[0].source) == "stereo_diarization.wav"


def test_an_answer_that_cites_nothing_is_kept_only_where_the_segments_say_it(
    transcribed: Engine, fake_llm: Callable[[str], FakeLLM]
) -> None:
    question = "What about the wizard who vanished behind the curtain?"
    fake_llm(UNCITED)  # quotes the segment, cites no number
    quoted = ask.answer_question(question, get_settings().llm, transcribed)
    assert quoted.status == ask.ANSWERED
    assert name(quoted.citations[0].source) == "stereo_diarization.wav"

    fake_llm(GUESSES)  # "The launch is on March 15th.", citing nothing
    guessed = ask.answer_question(question, get_settings().llm, transcribed)
    assert guessed.status == ask.UNGROUNDED
    assert guessed.answer.startswith("No grounded answer")
    assert "March" not in guessed.answer and guessed.citations == []
    assert name(guessed.matches[0].source) == "stereo_diarization.wav"


def test_without_an_llm_the_best_matches_are_shown(transcribed: Engine) -> None:
    result = ask.answer_question("the wizard behind the curtain", get_settings().llm, transcribed)
    assert result.status == ask.NO_LLM
    assert "No LLM endpoint" in result.answer
    assert name(result.matches[0].source) == "stereo_diarization.wav"


def test_nothing_relevant_is_said_plainly(transcribed: Engine) -> None:
    result = ask.answer_question("zeppelin xylophone?", get_settings().llm, transcribed)
    assert result.status == ask.NO_MATCH
    assert result.matches == [] and result.citations == []
    assert "Nothing in the stored recordings" in result.answer


@pytest.mark.e2e
def test_search_and_ask_from_the_command_line(
    transcribed: Engine, library: str, prefect_home: Path, tmp_path: Path
) -> None:
    import json

    if not library.startswith("sqlite"):
        pytest.skip("the command line reads the same SQL; one database is enough")
    cli_env = user_environment(library, prefect_home, tmp_path)
    hits = json.loads(run_mumu("search", "wizard curtain", "--json", env=cli_env).stdout)
    assert name(hits[0]["source"]) == "stereo_diarization.wav"
    assert {"recording_id", "source", "start", "end", "text", "score"} <= set(hits[0])
    answer = run_mumu("ask", "who vanished behind the curtain?", env=cli_env)
    assert answer.returncode == 0, answer.stderr
    assert "No LLM endpoint is configured" in answer.stdout
    assert "stereo_diarization.wav @ 00:0" in answer.stdout
    assert "Traceback" not in answer.stdout + answer.stderr


def test_hybrid_search_finds_by_similarity_what_full_text_misses(
    transcribed: Engine, fake_llm: Callable[[str], FakeLLM], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mumu.library.search import find

    server = fake_llm(GOOD)
    assert search(transcribed, "vanishd behnd the curtin") == []
    assert find(transcribed, get_settings().llm, "vanishd behnd the curtin") == []

    monkeypatch.setenv("MUMU_EMBEDDINGS_MODEL", "fake-embeddings")
    get_settings.cache_clear()
    hits = find(transcribed, get_settings().llm, "vanishd behnd the curtin", limit=3)
    assert name(hits[0].source) == "stereo_diarization.wav"
    with Session(transcribed) as session:
        trusted = session.exec(select(Segment).where(col(Segment.flag).is_(None))).all()
        assert len(session.exec(select(SegmentEmbedding)).all()) == len(trusted) > 0
    embedding_calls = [r for r in server.requests if "input" in r]
    assert embedding_calls and all(r["model"] == "fake-embeddings" for r in embedding_calls)
    again = find(transcribed, get_settings().llm, "curtain", limit=3)
    assert name(again[0].source) == "stereo_diarization.wav"
    assert len([r for r in server.requests if "input" in r]) == len(embedding_calls) + 1
