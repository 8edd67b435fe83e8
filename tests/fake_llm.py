"""An OpenAI-compatible chat completions server on loopback, for the LLM tests.

It behaves like the servers mumu meets in the wild: one that does everything right,
one that rejects ``response_format`` of type ``json_schema`` (as some vLLM and
llama.cpp builds do), one that only speaks plain text, one that wants
``max_completion_tokens`` (OpenAI's reasoning models), and models that answer with JSON
that does not fit the schema, once or always, that cite nothing, that loop, or whose
reply is cut at ``max_tokens``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GOOD = "good"
REJECTS_JSON_SCHEMA = "rejects-json-schema"
TEXT_ONLY = "text-only"
BAD_ONCE = "bad-once"
ALWAYS_BAD = "always-bad"
RATE_LIMITED_ONCE = "rate-limited-once"
FLAKY = "fails-twice-then-works"
DOWN = "always-503"
SLOW = "slow"
NOT_JSON = "not-json"
BAD_CITATION_ONCE = "bad-citation-once"
ALWAYS_BAD_CITATION = "always-bad-citation"
HOSTILE_TEXT = "hostile-text"
STRING_TOKENS = "string-tokens"
REFUSES_FORMAT_WITH_500 = "refuses-format-with-500"
BAD_LENGTH = "bad-content-length"
CUT_OFF = "cut-off-at-max-tokens"
UNCITED = "uncited"
LOOPING = "looping"
GUESSES = "guesses-uncited"
WANTS_MAX_COMPLETION_TOKENS = "wants-max-completion-tokens"
CONTEXT_TOO_SMALL = "context-too-small"
HOSTILE_TITLE = (
    "[/]Weekly [link=http://evil.example]sync[/link] \x1b[31mred\x1b]8;;http://evil.example\x07"
)


def trigram_vector(text: str, dimensions: int = 1024) -> list[float]:
    """A stand-in embedding: character trigrams hashed into a vector, so similar spellings
    (a misspelt "curtin") land near each other while full-text search misses them."""
    vector = [0.0] * dimensions
    for word in re.findall(r"\w+", text.lower()):
        padded = f" {word} "
        for i in range(len(padded) - 2):
            vector[zlib.crc32(padded[i : i + 3].encode()) % dimensions] += 1.0
    return vector


def answer_for(prompt: str, cite: int | None = None) -> dict[str, Any]:
    """An answer citing the first numbered segment that shares a word with the question."""
    segments = dict(re.findall(r"^\[(\d+)\] (.*)$", prompt, re.M))
    question = prompt.rsplit("Question:", 1)[-1].lower()
    words = {w for w in re.findall(r"\w+", question) if len(w) > 3}
    chosen = next(
        (int(n) for n, line in segments.items() if words & set(re.findall(r"\w+", line.lower()))),
        1,
    )
    number = cite if cite is not None else chosen
    return {
        "answer": f"As said in segment {number}: {segments.get(str(chosen), '')}",
        "citations": [number],
    }


def notes_for(
    prompt: str, invented: list[int] | None = None, owner: str | None = None
) -> dict[str, Any]:
    """Notes derived from the prompt, so a test can tell which transcript was summarised:
    each claim cites the first segment given ([id @ mm:ss] lines), or, merging partial
    notes, the evidence they cite. ``invented`` adds a summary sentence and an action
    item citing those ids instead; ``owner`` gives the action item an owner. Every claim
    repeats words of what it cites, as a summary does."""
    ids = [int(i) for i in re.findall(r"^\[(\d+) @ ", prompt, re.M)]
    ids = ids or [int(i) for i in re.findall(r'"evidence": \[(\d+)', prompt)]
    first = ids[:1]
    text = re.sub(r"^\[[^\]]*\] ", "", prompt, flags=re.M)
    if prompt.lstrip().startswith("{"):  # merging: the partial notes' first sentences
        text = " ".join(re.findall(r'"text": "([^"]*)"', prompt))
    words = text.split()
    task = "Follow up: " + " ".join(text.splitlines()[0].split()) if text else "Follow up"
    notes: dict[str, Any] = {
        "title": "Notes on " + " ".join(words[:4]),
        "summary": [{"text": " ".join(words[:30]) or "nothing", "evidence": first}],
        "action_items": [{"task": task, "owner": owner, "due": None, "evidence": first}],
        "chapters": [{"title": "Opening", "evidence": first}],
    }
    if invented:
        notes["summary"].append({"text": "The budget was approved.", "evidence": invented})
        notes["action_items"].append(
            {"task": "Book the venue", "owner": None, "due": None, "evidence": invented}
        )
    return notes


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test) is expected, not an error."""


class FakeLLM:
    def __init__(self, behaviour: str = GOOD) -> None:
        self.behaviour = behaviour
        self.invented: list[int] = []
        self.owner: str | None = None
        self.corrects_when_asked = False
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._server = QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fault(self) -> tuple[int, dict[str, str], bytes] | None:
        """An injected failure for this request, if the behaviour calls for one."""
        attempt = len(self.requests)
        error = b'{"error": {"message": "overloaded"}}'
        if self.behaviour == RATE_LIMITED_ONCE and attempt == 1:
            return 429, {"Retry-After": "1"}, b'{"error": {"message": "slow down"}}'
        if self.behaviour == FLAKY and attempt <= 2:
            return (500 if attempt == 1 else 503), {}, error
        if self.behaviour == DOWN:
            return 503, {}, error
        if self.behaviour == SLOW:
            time.sleep(3)
        if self.behaviour == NOT_JSON:
            return 200, {"Content-Type": "text/html"}, b"<html>502 Bad Gateway</html>"
        return None

    def reply(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response_format = (body.get("response_format") or {}).get("type", "text")
        if response_format == "json_schema" and self.behaviour in (REJECTS_JSON_SCHEMA, TEXT_ONLY):
            return 400, {"error": {"message": "response_format json_schema is not supported"}}
        if response_format == "json_schema" and self.behaviour == REFUSES_FORMAT_WITH_500:
            message = (
                "1 validation error: response_format.json_schema: Extra inputs are not permitted"
            )
            return 500, {"error": {"message": message, "type": "internal_server_error"}}
        grammar = "schema" in (body.get("response_format") or {})
        if grammar and self.behaviour == REJECTS_JSON_SCHEMA:
            return 400, {"error": {"message": "response_format.schema: extra inputs not permitted"}}
        if response_format == "json_object" and self.behaviour == TEXT_ONLY:
            return 400, {"error": {"message": "'response_format' must be 'text'"}}
        if self.behaviour == CONTEXT_TOO_SMALL:  # vLLM's words, which name max_tokens
            message = (
                "This model's maximum context length is 2048 tokens. However, you requested "
                "3100 tokens (1027 in the messages, 2073 in the completion). Please reduce "
                "the length of the messages or completion. param: max_tokens"
            )
            return 400, {"error": {"message": message, "type": "BadRequestError"}}
        if "max_tokens" in body and self.behaviour == WANTS_MAX_COMPLETION_TOKENS:
            message = (
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead."
            )
            return 400, {"error": {"message": message, "param": "max_tokens"}}
        messages = body["messages"]
        prompt = messages[1]["content"]
        corrected = len(messages) > 2
        if "numbered transcript segments" in messages[0]["content"]:
            bad = self.behaviour == ALWAYS_BAD_CITATION or (
                self.behaviour == BAD_CITATION_ONCE and not corrected
            )
            notes: dict[str, Any] = answer_for(prompt, cite=99 if bad else None)
        elif corrected and self.corrects_when_asked:
            notes = notes_for(prompt)
        else:
            notes = notes_for(prompt, self.invented, self.owner)
        if self.behaviour == ALWAYS_BAD or (self.behaviour == BAD_ONCE and not corrected):
            notes = {"headline": notes.get("title"), "chapters": [{"evidence": "soon"}]}
        if self.behaviour == UNCITED:
            for claims in ("summary", "action_items", "chapters"):
                for claim in notes.get(claims, []):
                    claim["evidence"] = []
            notes["citations"] = []
        if self.behaviour == GUESSES and "answer" in notes:
            notes = {"answer": "The launch is on March 15th.", "citations": []}
        if self.behaviour == LOOPING and "summary" in notes:
            notes["title"] = " ".join(["Your Country Can Do It."] * 12)
            notes["summary"] = [notes["summary"][0]] * 12
        if self.behaviour == HOSTILE_TEXT:
            notes["title"] = notes["answer"] = HOSTILE_TITLE
            said = notes["summary"][0] if "summary" in notes else {"text": "", "evidence": []}
            hostile = f"[bold]not bold[/bold] [/] {said['text']}"
            notes["summary"] = [{"text": hostile, "evidence": said["evidence"]}]
        content = json.dumps(notes)
        finish_reason = "stop"
        if self.behaviour == TEXT_ONLY:
            content = f"Sure! Here are the notes:\n```json\n{content}\n```\nAnything else?"
        if self.behaviour == CUT_OFF and "summary" in notes:
            notes["summary"] += [{"text": "A sentence cut in the mid", "evidence": []}]
            content = json.dumps(notes)
            content, finish_reason = content[: content.rindex(" the mid")], "length"
        return 200, {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": self.usage(sum(len(m["content"]) for m in messages) // 4, len(content) // 4),
        }

    def usage(self, prompt: int, completion: int) -> dict[str, Any]:
        if self.behaviour == STRING_TOKENS:
            return {"prompt_tokens": str(prompt), "completion_tokens": "n/a", "total_tokens": ""}
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": 0}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                fake.requests.append(body)
                fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                fault = fake.fault()
                if fault is not None:
                    status, headers, data = fault
                    self.send_response(status)
                    headers = {"Content-Type": "application/json"} | headers
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if self.path.rstrip("/") == "/v1/embeddings":
                    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                    status, payload = (
                        200,
                        {
                            "object": "list",
                            "model": body.get("model", "fake-embeddings"),
                            "data": [
                                {"object": "embedding", "index": i, "embedding": trigram_vector(t)}
                                for i, t in enumerate(texts)
                            ],
                            "usage": {"prompt_tokens": 1, "total_tokens": 1},
                        },
                    )
                elif self.path.rstrip("/") != "/v1/chat/completions":
                    status, payload = 404, {"error": {"message": "not found"}}
                else:
                    status, payload = fake.reply(body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                promised = len(data) + (100 if fake.behaviour == BAD_LENGTH else 0)
                self.send_header("Content-Length", str(promised))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        return Handler
