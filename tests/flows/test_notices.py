"""Finished recordings announce themselves: one signed notice per recording per outcome."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from mumu import notify
from mumu.flows.process_batch import process_batch
from mumu.flows.process_recording import process_recording
from mumu.settings import get_settings
from mumu.sidecar.app import create_app
from tests.conftest import DATA_DIR
from tests.fake_llm import GOOD, FakeLLM
from tests.flows import batch
from tests.flows.test_process_batch import artifact
from tests.receiver import Receiver
from tests.test_production import free_port

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]
SECRET = "notice-secret-for-tests"


@pytest.fixture
def notices_to(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def point_at(url: str) -> None:
        monkeypatch.setenv("MUMU_NOTIFY_URL", url)
        monkeypatch.setenv("MUMU_NOTIFY_SECRET", SECRET)
        monkeypatch.setenv("MUMU_NOTIFY_BUDGET_S", "3")
        get_settings.cache_clear()

    return point_at


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_each_recording_is_announced_once_per_outcome_and_the_batch_links_its_notes(
    engine: Engine,
    bad_inputs: dict[str, Path],
    notices_to: Callable[[str], None],
    fake_llm: Callable[[str], FakeLLM],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_llm(GOOD)
    sources = [str(DATA_DIR / "jfk.flac"), str(bad_inputs["not_audio"])]
    with Receiver() as receiver:
        notices_to(receiver.url)
        monkeypatch.setenv("MUMU_PUBLIC_URL", "https://mumu.example")
        monkeypatch.setenv("MUMU_LINK_KEY", "notice-link-key-0123")
        get_settings.cache_clear()
        first = batch(sources)
        assert notify.wait(10)
        second = batch(sources)  # nothing new happens to the stored recording
        assert notify.wait(10)
    by_status = {n.json["recording"]["status"]: n for n in receiver.received}
    assert sorted(by_status) == ["completed", "failed"]
    assert len(receiver.received) == 3, "the failed file is tried, and announced, again"
    assert all(n.signed_with(SECRET.encode()) for n in receiver.received)
    done = by_status["completed"].json
    assert done["type"] == "recording.completed"
    assert done["recording"]["id"] == first[0].recording_id
    assert done["recording"]["title"].startswith("Notes on")
    assert done["recording"]["duration_s"] == pytest.approx(11.0, abs=0.2)
    assert done["links"]["export"] == f"mumu export {first[0].recording_id} --format notes"
    notes = done["links"]["notes"].removeprefix("https://mumu.example")
    assert notes.startswith(f"/recordings/{first[0].recording_id}?expires=")
    page = TestClient(create_app(get_settings(), None)).get(notes)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert done["recording"]["title"] in page.text, "the notice's link opens its notes page"
    failed = by_status["failed"].json["recording"]
    assert failed["error"].startswith("audio: not an audio file")
    assert [o.status for o in second] == ["completed", "failed"]

    table = artifact("mumu-batch")
    assert isinstance(table, str)
    assert f"[{first[0].recording_id}](" in table
    assert f"/artifacts/key/mumu-recording-{first[0].recording_id})" in table
    assert "not an audio file" in table


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_receiver_that_is_down_loses_nothing_and_holds_nothing_up(
    engine: Engine, notices_to: Callable[[str], None]
) -> None:
    notices_to(f"http://127.0.0.1:{free_port()}/down")
    [outcome] = batch([str(DATA_DIR / "jfk.flac")])
    assert outcome.status == "completed" and outcome.recording_id is not None
    assert notify.wait(10)


def test_a_url_without_a_secret_fails_the_run_in_one_line(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUMU_NOTIFY_URL", "http://127.0.0.1:9/hook")
    get_settings.cache_clear()
    state = process_batch([str(DATA_DIR / "jfk.flac")], return_state=True)
    assert state.is_failed()
    assert state.message and "MUMU_NOTIFY_SECRET" in state.message and "\n" not in state.message
    single = process_recording(str(DATA_DIR / "jfk.flac"), return_state=True)
    assert single.is_failed()
    assert single.message and "MUMU_NOTIFY_SECRET" in single.message
