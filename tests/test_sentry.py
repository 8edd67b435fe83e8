"""Failures reach Sentry once, tagged, and nothing secret or spoken goes with them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sentry_sdk

from mumu import sentry
from mumu.settings import get_settings
from tests.conftest import DATA_DIR
from tests.fake_llm import ALWAYS_BAD, FakeLLM
from tests.fake_sentry import FakeSentry
from tests.flows import batch

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]


@pytest.fixture
def fake_sentry(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSentry]:
    with FakeSentry() as server:
        monkeypatch.setenv("SENTRY_DSN", server.dsn)
        monkeypatch.setenv("MUMU_ENVIRONMENT", "test")
        get_settings.cache_clear()
        yield server
        sentry_sdk.get_client().close()
        sentry_sdk.init(dsn=None)
        monkeypatch.setattr(sentry, "_initialised_dsn", None)
    get_settings.cache_clear()


def test_each_failed_stage_is_reported_once_without_secrets_or_transcripts(
    settings: object,
    fake_sentry: FakeSentry,
    fake_llm: Callable[[str], FakeLLM],
    bad_inputs: dict[str, Path],
) -> None:
    fake_llm(ALWAYS_BAD)
    outcomes = batch([str(DATA_DIR / "jfk.flac"), str(bad_inputs["not_audio"])])
    assert [o.status for o in outcomes] == ["notes_failed", "failed"]
    sentry.flush()

    events = fake_sentry.events()
    by_stage = {event["tags"]["stage"]: event for event in events}
    assert len(events) == 2
    assert set(by_stage) == {"insights", "audio"}
    for outcome in outcomes:
        stage = (outcome.error or "").split(":")[0]
        assert by_stage[stage]["tags"]["recording_id"] == str(outcome.recording_id)
    assert by_stage["insights"]["level"] == "error"
    assert by_stage["audio"]["level"] == "warning"
    assert by_stage["audio"]["tags"]["bad_input"] == "true"
    assert all(event["release"] == "mumu@0.1.0" for event in events)
    assert all(event["environment"] == "test" for event in events)

    everything = b"".join(fake_sentry.raw).decode()
    assert "sk-test-not-a-real-key" not in everything
    assert "fellow Americans" not in everything
    assert "ask not what your country" not in everything
