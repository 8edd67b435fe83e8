import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context

import pytest

from mumu.llm.bounds import reply_tokens
from mumu.llm.budget import Budget
from mumu.llm.client import LLMError, StructuredLLM, get_llm
from mumu.llm.grounding import Notes
from mumu.settings import get_settings
from tests import fake_llm
from tests.fake_llm import FakeLLM

StartLLM = Callable[[str], FakeLLM]


def client() -> StructuredLLM:
    return get_llm(get_settings().llm)


def test_structured_output_through_json_schema(fake_llm: StartLLM) -> None:
    server = fake_llm(fake_llm_module.GOOD)
    notes, usage = client().complete("system", "[3 @ 00:03] we agreed to ship on Friday", Notes)
    assert notes.title.startswith("Notes on")
    assert notes.chapters[0].evidence == [3]
    assert usage.calls == 1 and usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert server.requests[0]["response_format"]["type"] == "json_schema"
    assert server.headers[0]["authorization"] == "Bearer sk-test-not-a-real-key"


def formats(server: FakeLLM) -> list[str]:
    """Each request's output format: its type, and ``+schema`` when a schema came with it."""
    sent = [r.get("response_format") or {"type": "text"} for r in server.requests]
    return [f["type"] + ("+schema" if "schema" in f else "") for f in sent]


def test_a_server_rejecting_json_schema_gets_json_object(fake_llm: StartLLM) -> None:
    server = fake_llm(fake_llm_module.REJECTS_JSON_SCHEMA)
    llm = client()
    notes, usage = llm.complete("system", "[0 @ 00:00] hello there", Notes)
    assert notes.summary
    assert formats(server) == ["json_schema", "json_object+schema", "json_object"]
    llm.complete("system", "[0 @ 00:00] again", Notes)
    assert formats(server)[-1] == "json_object"
    assert llm.mode == "json_object"
    assert usage.calls == 1


def test_a_server_refusing_the_format_with_a_500_is_not_retried_and_is_remembered(
    fake_llm: StartLLM,
) -> None:
    """llama.cpp's server says no to json_schema with HTTP 500 and the field's name."""
    server = fake_llm(fake_llm_module.REFUSES_FORMAT_WITH_500)
    llm = client()
    notes, _ = llm.complete("system", "[3 @ 00:03] budget review", Notes)
    assert notes.title
    assert formats(server) == ["json_schema", "json_object+schema"]
    llm.complete("system", "[4 @ 00:04] and again", Notes)
    assert formats(server) == ["json_schema", "json_object+schema", "json_object+schema"]
    assert llm.mode == "json_object_schema"


def test_a_text_only_server_gets_json_extracted_from_prose(fake_llm: StartLLM) -> None:
    server = fake_llm(fake_llm_module.TEXT_ONLY)
    notes, _ = client().complete("system", "[7 @ 00:07] budget review", Notes)
    assert notes.chapters[0].evidence == [7]
    assert "response_format" not in server.requests[-1]


def test_token_counts_sent_as_strings_are_counted_not_fatal(fake_llm: StartLLM) -> None:
    fake_llm(fake_llm_module.STRING_TOKENS)
    notes, usage = client().complete("system", "[1 @ 00:01] hello there", Notes)
    assert notes.title
    assert usage.prompt_tokens > 0 and usage.completion_tokens == 0


def test_output_that_does_not_fit_is_sent_back_once_with_the_error(fake_llm: StartLLM) -> None:
    server = fake_llm(fake_llm_module.BAD_ONCE)
    notes, usage = client().complete("system", "[1 @ 00:01] hello", Notes)
    assert notes.title
    assert usage.calls == 2
    correction = server.requests[1]["messages"][-1]["content"]
    assert "does not match the schema" in correction
    assert "summary" in correction


def test_output_that_never_fits_fails_with_the_reason(fake_llm: StartLLM) -> None:
    server = fake_llm(fake_llm_module.ALWAYS_BAD)
    with pytest.raises(LLMError, match="did not match the Notes schema") as caught:
        client().complete("system", "[1 @ 00:01] hello", Notes)
    assert "\n" not in str(caught.value)
    assert len(server.requests) == 2


def test_an_unreachable_endpoint_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-unreachable")
    monkeypatch.setenv("MUMU_LLM_MAX_RETRIES", "0")
    get_settings.cache_clear()
    with pytest.raises(LLMError, match="unreachable") as caught:
        client().complete("system", "hello", Notes)
    assert "sk-test-unreachable" not in str(caught.value)
    get_settings.cache_clear()


fake_llm_module = fake_llm


@pytest.mark.usefixtures("prefect_api")
@pytest.mark.slow
def test_requests_hold_a_slot_of_the_global_concurrency_limit(
    fake_llm: StartLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.concurrency.sync import concurrency

    server = fake_llm(fake_llm_module.GOOD)
    with get_client(sync_client=True) as prefect:
        prefect.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name="llm-test", limit=1)
        )
    monkeypatch.setenv("MUMU_LLM_CONCURRENCY_LIMIT", "llm-test")
    get_settings.cache_clear()
    llm = client()
    with ThreadPoolExecutor(max_workers=1) as pool:
        with concurrency("llm-test", occupy=1, strict=True):
            waiting = pool.submit(
                copy_context().run, llm.complete, "system", "[0 @ 00:00] hi", Notes
            )
            time.sleep(1.5)
            assert server.requests == [] and not waiting.done()
        notes, _ = waiting.result(timeout=30)
    assert notes.title
    assert len(server.requests) == 1

    monkeypatch.setenv("MUMU_LLM_CONCURRENCY_LIMIT", "no-such-limit")
    get_settings.cache_clear()
    with pytest.raises(Exception, match="no-such-limit"):
        client().complete("system", "[0 @ 00:00] hello", Notes)


def test_a_valid_reply_is_kept_when_asked_again_for_its_problems_it_breaks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llm = get_llm(get_settings().llm)
    replies = iter(['{"title": "t", "summary": [{"text": "s", "evidence": [9]}]}', "oops"])
    monkeypatch.setattr(llm, "_chat", lambda *_args: (next(replies), False))
    notes, _ = llm.complete("system", "x", Notes, check=lambda _notes: ["cites 9"])
    assert notes.summary[0].evidence == [9]


def test_every_request_is_bounded_by_the_longest_reply_its_schema_allows(
    fake_llm: StartLLM,
) -> None:
    server = fake_llm(fake_llm_module.BAD_ONCE)
    client().complete("system", "[1 @ 00:01] hello", Notes)
    bound = reply_tokens(Notes.model_json_schema())
    assert [r["max_tokens"] for r in server.requests] == [bound, bound]


def test_a_server_that_wants_max_completion_tokens_gets_it_from_then_on(
    fake_llm: StartLLM,
) -> None:
    server = fake_llm(fake_llm_module.WANTS_MAX_COMPLETION_TOKENS)
    llm = client()
    llm.complete("system", "[1 @ 00:01] hello", Notes)
    llm.complete("system", "[2 @ 00:02] again", Notes)
    limits = [sorted(k for k in r if k.startswith("max_")) for r in server.requests]
    assert limits == [["max_tokens"], ["max_completion_tokens"], ["max_completion_tokens"]]
    assert llm.mode == "json_schema", "a refused limit is not a refused format"


def test_a_reply_cut_at_its_token_limit_keeps_what_it_finished(fake_llm: StartLLM) -> None:
    server = fake_llm(fake_llm_module.CUT_OFF)
    notes, usage = client().complete("system", "[4 @ 00:04] we ship the launch on Friday", Notes)
    assert [c.evidence for c in notes.summary] == [[4]]
    assert notes.title.startswith("Notes on") and notes.action_items == []
    assert usage.calls == 1 and len(server.requests) == 1


def test_a_looping_reply_is_said_once(fake_llm: StartLLM) -> None:
    fake_llm(fake_llm_module.LOOPING)
    notes, _ = client().complete("system", "[4 @ 00:04] your country can do it", Notes)
    assert notes.title == "Your Country Can Do It."
    assert len(notes.summary) == 5, "clipped to the bound; grounding keeps one of each"


@pytest.mark.slow
def test_a_slow_model_meets_its_budget_or_fails_in_one_line_saying_so(
    fake_llm: StartLLM,
) -> None:
    fake_llm(fake_llm_module.SLOW)  # three seconds a reply
    heard: list[float] = []
    budget = Budget(1.0, "the notes", "MUMU_LLM_BUDGET_S", lambda spent, _: heard.append(spent))
    budget.report_every_s = 0.2
    started = time.monotonic()
    with pytest.raises(LLMError) as caught:
        client().complete("system", "[1 @ 00:01] hello", Notes, budget=budget)
    assert time.monotonic() - started < 2.5
    assert str(caught.value).startswith("the notes: longer than the 1 s budget (MUMU_LLM_BUDGET_S)")
    assert "\n" not in str(caught.value)
    assert heard and heard == sorted(heard)

    roomy = Budget(30.0, "the notes", "MUMU_LLM_BUDGET_S")
    notes, _ = client().complete("system", "[1 @ 00:01] hello", Notes, budget=roomy)
    assert notes.title


def test_a_request_too_long_for_the_context_says_so_and_changes_nothing(
    fake_llm: StartLLM,
) -> None:
    """vLLM's refusal names max_tokens: it is not a format or a parameter name refused."""
    server = fake_llm(fake_llm_module.CONTEXT_TOO_SMALL)
    llm = client()
    with pytest.raises(LLMError, match="MUMU_LLM_CONTEXT_TOKENS") as caught:
        llm.complete("system", "[1 @ 00:01] hello", Notes)
    assert "maximum context length is 2048" in str(caught.value)
    assert len(server.requests) == 1
    assert llm.mode == "json_schema" and "max_tokens" in server.requests[0]


def test_retries_cut_short_by_the_stage_budget_name_the_budget(fake_llm: StartLLM) -> None:
    fake_llm(fake_llm_module.DOWN)
    budget = Budget(0.3, "the notes", "MUMU_LLM_BUDGET_S")  # shorter than any backoff
    with pytest.raises(LLMError) as caught:
        client().complete("system", "[1 @ 00:01] hello", Notes, budget=budget)
    assert str(caught.value).startswith("the notes: longer than the 0.3 s budget")
    assert "LLM endpoint error 503" in str(caught.value)


def test_a_smaller_limit_than_the_schema_s_is_what_is_sent(fake_llm: StartLLM) -> None:
    server = fake_llm(fake_llm_module.GOOD)
    client().complete("system", "[1 @ 00:01] hello", Notes, max_tokens=500)
    assert server.requests[0]["max_tokens"] == 500


def test_a_client_over_a_transport_falls_back_from_a_refused_format() -> None:
    """No server at all: the ``openai`` client's requests go to an in-process transport."""
    import json

    import httpx2

    from mumu.llm.client import Endpoint

    bodies: list[dict[str, object]] = []

    def server(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        bodies.append(body)
        if body.get("response_format", {}).get("type") == "json_schema":
            return httpx2.Response(400, json={"error": {"message": "json_schema unsupported"}})
        notes = {"title": "Ship", "summary": [{"text": "We ship.", "evidence": [0]}]}
        reply = {"role": "assistant", "content": json.dumps(notes)}
        return httpx2.Response(
            200,
            json={
                "id": "c1",
                "object": "chat.completion",
                "created": 0,
                "model": "m",
                "choices": [{"index": 0, "message": reply, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14},
            },
        )

    endpoint = Endpoint("http://llm.invalid/v1", "sk-test", "m", 5.0, 0, 10.0, None)
    llm = StructuredLLM(endpoint, httpx2.MockTransport(server))
    notes, usage = llm.complete("system", "[0 @ 00:00] we ship", Notes)
    assert notes.title == "Ship" and usage.calls == 1
    assert [body["response_format"]["type"] for body in bodies] == ["json_schema", "json_object"]  # type: ignore[index]
    assert llm.mode != "json_schema" and all(body["max_tokens"] for body in bodies)
