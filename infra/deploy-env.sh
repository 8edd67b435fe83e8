# Defaults for the {{ $VARIABLES }} in deployments.yaml and for infra/setup.sh. Source it,
# then deploy:
#
#   . infra/deploy-env.sh && prefect --no-prompt deploy --all --prefect-file deployments.yaml
#
# A variable already set in the environment keeps its value.
export MUMU_GPU_POOL="${MUMU_GPU_POOL:-mumu-gpu}"          # pool that transcribes (mumu-cpu on a CPU-only site)
export MUMU_CPU_POOL="${MUMU_CPU_POOL:-mumu-cpu}"          # pool of the inbox scan and ask
export MUMU_GPU_IMAGE="${MUMU_GPU_IMAGE:-mumu-gpu:latest}" # built from infra/Dockerfile.gpu
export MUMU_CPU_IMAGE="${MUMU_CPU_IMAGE:-mumu-cpu:latest}" # built from infra/Dockerfile.cpu
export MUMU_WORKDIR="${MUMU_WORKDIR:-/opt/mumu}"           # where flow runs start (no source needed)
export MUMU_INBOX="${MUMU_INBOX:-/data/inbox}"             # folder (or URL) the inbox scans
export MUMU_INBOX_CRON="${MUMU_INBOX_CRON:-*/10 * * * *}"  # every ten minutes, UTC
export MUMU_RETENTION_CRON="${MUMU_RETENTION_CRON:-17 3 * * *}"  # daily, UTC (MUMU_RETENTION_DAYS decides)
export MUMU_WHISPER_BLOCK="${MUMU_WHISPER_BLOCK-mumu-whisper}"  # empty: use MUMU_WHISPER_*
export MUMU_LLM_BLOCK="${MUMU_LLM_BLOCK-mumu-llm}"              # empty: use OPENAI_* / MUMU_LLM_*
export MUMU_DATABASE_BLOCK="${MUMU_DATABASE_BLOCK-mumu-db}"     # empty: use MUMU_DATABASE_URL
