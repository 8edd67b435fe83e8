"""The evaluate flow: a candidate scored against the current settings, as a table artifact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from prefect.client.schemas.objects import State

from mumu.flows.evaluate import evaluate
from tests.conftest import DATA_DIR, REFERENCES
from tests.flows.test_process_batch import artifact

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_api")]


@pytest.fixture
def golden(tmp_path: Path) -> str:
    shutil.copy(DATA_DIR / "jfk.flac", tmp_path / "jfk.flac")
    (tmp_path / "jfk.txt").write_text(REFERENCES["jfk.flac"]["text"])
    return str(tmp_path)


def test_a_candidate_as_good_completes_with_both_scores_in_a_table(golden: str) -> None:
    result = evaluate(["whisper_beam_size=4"], [golden])
    assert isinstance(result, dict)
    assert result["current"]["wer"] < 0.1 and result["candidate"]["wer"] < 0.1
    assert "beam=4" in result["candidate"]["key"] and "beam=4" not in result["current"]["key"]
    rows = artifact("mumu-evaluation")
    assert isinstance(rows, str) and "jfk.flac" in rows and "WER candidate" in rows


def test_a_worse_candidate_fails_the_run_with_the_reason(golden: str) -> None:
    state = evaluate(["whisper_beam_size=4"], [golden], margin=-1.0, return_state=True)
    assert isinstance(state, State) and state.is_failed()
    assert state.message and state.message.startswith("candidate is worse: overall WER")


def test_a_golden_set_that_is_not_there_fails_as_configuration(tmp_path: Path) -> None:
    state = evaluate(["whisper_beam_size=4"], [str(tmp_path / "nowhere")], return_state=True)
    assert isinstance(state, State) and state.is_failed()
    missing = tmp_path / "nowhere"
    assert state.message == f"configuration error: golden set folder {missing} does not exist"
