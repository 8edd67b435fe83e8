#!/usr/bin/env bash
# One-shot set-up of a Prefect server for mumu: Docker work pools, the LLM concurrency
# limit, blocks, mumu's schema and the deployments. Idempotent: run it again after an
# upgrade or a change of the variables below (it rewrites pools and blocks from them).
#
# Needs PREFECT_API_URL and MUMU_DATABASE_URL, and mumu installed: run it inside the CPU
# image (the compose stack's `setup` service does) or from a checkout. Variables, with
# their defaults in infra/deploy-env.sh and infra/README.md: MUMU_GPU_POOL, MUMU_CPU_POOL,
# MUMU_GPU_IMAGE, MUMU_CPU_IMAGE, MUMU_GPU_COUNT, MUMU_LLM_LIMIT, MUMU_DOCKER_NETWORK,
# MUMU_MODELS_VOLUME, MUMU_INBOX_VOLUME, MUMU_WHISPER_MODEL, MUMU_WHISPER_DEVICE,
# OPENAI_BASE_URL, OPENAI_API_KEY, MUMU_LLM_MODEL, MUMU_NOTIFY_URL, MUMU_NOTIFY_SECRET,
# MUMU_PUBLIC_URL and MUMU_LINK_KEY (the sidecar's links are signed with it: give the
# sidecar the same key), MUMU_READER_PASSWORD (creates the role MUMU_READER_ROLE,
# mumu_reader by default, that reads the library and cannot write), MUMU_ACCESS_TOKENS
# (saved as the mumu-access-tokens Secret block: MUMU_ACCESS_TOKENS_BLOCK for the sidecar).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PREFECT_API_URL:?set PREFECT_API_URL to the Prefect server, e.g. http://host:4200/api}"
: "${MUMU_DATABASE_URL:?set MUMU_DATABASE_URL, e.g. postgresql+psycopg://mumu:...@host:5432/mumu}"
. infra/deploy-env.sh
if [ -n "${MUMU_NOTIFY_URL:-}" ] && [ -z "${MUMU_NOTIFY_SECRET:-}" ]; then
    echo "MUMU_NOTIFY_URL needs MUMU_NOTIFY_SECRET: notices are signed with it" >&2
    exit 1
fi
if [ -n "${MUMU_PUBLIC_URL:-}" ] && [ -z "${MUMU_LINK_KEY:-}" ]; then
    echo "MUMU_PUBLIC_URL needs MUMU_LINK_KEY: links to the sidecar are signed with it" >&2
    echo "(e.g. MUMU_LINK_KEY=\$(openssl rand -hex 32), the same for the sidecar)" >&2
    exit 1
fi

pool() {  # name, job template, image
    local template
    template="$(mktemp)"
    python infra/job_template.py "$2" "$3" >"$template"
    if prefect work-pool inspect "$1" >/dev/null 2>&1; then
        prefect work-pool update "$1" --base-job-template "$template"
    else
        prefect work-pool create "$1" --type docker --base-job-template "$template"
    fi
    rm -f "$template"
}
pool "$MUMU_CPU_POOL" infra/docker-cpu-job-template.json "$MUMU_CPU_IMAGE"
if [ "$MUMU_GPU_POOL" != "$MUMU_CPU_POOL" ]; then  # one pool for everything on a CPU-only site
    pool "$MUMU_GPU_POOL" infra/docker-gpu-job-template.json "$MUMU_GPU_IMAGE"
fi
prefect work-pool set-concurrency-limit "$MUMU_GPU_POOL" "${MUMU_GPU_COUNT:-1}"

prefect global-concurrency-limit inspect mumu-llm >/dev/null 2>&1 \
    || prefect global-concurrency-limit create mumu-llm --limit "${MUMU_LLM_LIMIT:-4}"

prefect block register -m mumu.blocks
# Empty Whisper fields leave the choice to the pool: cuda on the GPU pool, cpu on the CPU pool.
python - <<'PY'
import os

from mumu.blocks import LLMEndpoint, MumuDatabase, WhisperEngine

WhisperEngine(
    model=os.environ.get("MUMU_WHISPER_MODEL") or None,
    device=os.environ.get("MUMU_WHISPER_DEVICE") or None,
).save("mumu-whisper", overwrite=True)
MumuDatabase(url=os.environ["MUMU_DATABASE_URL"]).save("mumu-db", overwrite=True)
if os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"):
    LLMEndpoint(
        base_url=os.environ.get("OPENAI_BASE_URL") or None,
        api_key=os.environ.get("OPENAI_API_KEY") or None,
        model=os.environ.get("MUMU_LLM_MODEL") or None,
    ).save("mumu-llm", overwrite=True)
if os.environ.get("MUMU_NOTIFY_URL"):  # the pools' env refers to these two by name
    from prefect.blocks.system import Secret

    Secret(value=os.environ["MUMU_NOTIFY_URL"]).save("mumu-notify-url", overwrite=True)
    Secret(value=os.environ["MUMU_NOTIFY_SECRET"]).save("mumu-notify-secret", overwrite=True)
if os.environ.get("MUMU_ACCESS_TOKENS"):  # the sidecar: MUMU_ACCESS_TOKENS_BLOCK
    from prefect.blocks.system import Secret

    Secret(value=os.environ["MUMU_ACCESS_TOKENS"]).save("mumu-access-tokens", overwrite=True)
if os.environ.get("MUMU_PUBLIC_URL"):  # the pools' env refers to it by name
    from prefect.blocks.system import Secret

    Secret(value=os.environ["MUMU_LINK_KEY"]).save("mumu-link-key", overwrite=True)
PY

if [ -z "${OPENAI_BASE_URL:-}${OPENAI_API_KEY:-}" ]; then
    export MUMU_LLM_BLOCK=""  # no endpoint: insights are skipped, recordings still complete
fi
mumu db upgrade
if [ -n "${MUMU_READER_PASSWORD:-}" ]; then  # the sidecar and read commands read as it
    mumu db reader "${MUMU_READER_ROLE:-mumu_reader}"
fi
prefect --no-prompt deploy --all --prefect-file deployments.yaml
