"""One recording's flow: its artifact and how it fails when the set-up is wrong."""

from __future__ import annotations

import pytest
from prefect.client.schemas.objects import State
from sqlalchemy import Engine

from mumu.flows.process_recording import process_recording
from tests.conftest import DATA_DIR
from tests.flows import recording
from tests.flows.test_process_batch import artifact, rows

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]


def test_a_block_that_does_not_exist_fails_the_run_at_once_with_the_fix(engine: Engine) -> None:
    state = process_recording(
        str(DATA_DIR / "jfk.flac"), whisper_block="no-such-block", return_state=True
    )
    assert isinstance(state, State) and state.is_failed()
    assert state.message == (
        "configuration error: whisper_block: no mumu-whisper-engine block named "
        "'no-such-block'; create it (bash infra/setup.sh or the Prefect UI) or set "
        "whisper_block to '' to use the MUMU_ environment"
    )
    assert set(rows(engine).values()) == {0}


def test_each_run_publishes_the_notes_or_why_there_are_none(engine: Engine) -> None:
    outcome = recording(str(DATA_DIR / "jfk.flac"))
    markdown = artifact(f"mumu-recording-{outcome.recording_id}")
    assert isinstance(markdown, str)
    assert markdown.startswith("# jfk\\.flac\n")
    assert "_No notes: no LLM endpoint configured" in markdown
    assert f"`mumu export {outcome.recording_id} --format srt`" in markdown
