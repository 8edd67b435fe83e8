"""llama.cpp's own OpenAI-compatible server, as ``xllamacpp`` ships it prebuilt:
``python tests/llm/llama_cpp_server.py MODEL --port PORT`` serves MODEL on
127.0.0.1:PORT (context 8192) until it is stopped."""

from __future__ import annotations

import sys
import threading

import xllamacpp


def serve(model: str, port: int, context_tokens: int = 8192) -> None:
    params = xllamacpp.CommonParams()
    params.model.path = model
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = context_tokens
    params.n_parallel = 1
    server = xllamacpp.Server(params)
    print(f"listening on {server.listening_address}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[sys.argv.index("--port") + 1]))
