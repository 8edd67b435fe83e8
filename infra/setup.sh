#!/usr/bin/env bash
# One-shot set-up of a Prefect server for mumu (the compose stack's `setup` service runs
# it; run it by hand against any server with PREFECT_API_URL set). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

pool() {  # name, job template
    if prefect work-pool inspect "$1" >/dev/null 2>&1; then
        prefect work-pool update "$1" --base-job-template "$2"
    else
        prefect work-pool create "$1" --type docker --base-job-template "$2"
    fi
}
pool "${MUMU_GPU_POOL:-mumu-gpu}" infra/docker-gpu-job-template.json
pool "${MUMU_CPU_POOL:-mumu-cpu}" infra/docker-cpu-job-template.json
prefect work-pool set-concurrency-limit "${MUMU_GPU_POOL:-mumu-gpu}" "${MUMU_GPU_COUNT:-1}"

prefect global-concurrency-limit inspect mumu-llm >/dev/null 2>&1 \
    || prefect global-concurrency-limit create mumu-llm --limit "${MUMU_LLM_LIMIT:-4}"

prefect block register -m mumu.blocks
python - <<'PY'
import os

from mumu.blocks import LLMEndpoint, MumuDatabase, WhisperEngine

WhisperEngine(device="cuda").save("mumu-whisper", overwrite=True)
MumuDatabase(url=os.environ["MUMU_DATABASE_URL"]).save("mumu-db", overwrite=True)
if os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"):
    LLMEndpoint(
        base_url=os.environ.get("OPENAI_BASE_URL") or None,
        api_key=os.environ.get("OPENAI_API_KEY") or None,
        model=os.environ.get("MUMU_LLM_MODEL", "gpt-4o-mini"),
    ).save("mumu-llm", overwrite=True)
PY

if [ -z "${OPENAI_BASE_URL:-}${OPENAI_API_KEY:-}" ]; then
    export MUMU_LLM_BLOCK=""  # no endpoint: insights are skipped, recordings still complete
fi
mumu db upgrade
. infra/deploy-env.sh
prefect --no-prompt deploy --all --prefect-file deployments.yaml
