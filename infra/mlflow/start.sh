#!/usr/bin/env bash
# Start the team's MLflow tracking server (UI + REST API + artifact proxy) in the foreground.
#
#   infra/mlflow/start.sh                                   # 127.0.0.1:5000, ./mlflow.db, ./mlartifacts
#   MLFLOW_ARTIFACTS_DESTINATION=s3://bucket/mlflow infra/mlflow/start.sh
#   MLFLOW_BACKEND_STORE_URI=postgresql://user@db:5432/mlflow MLFLOW_HOST=0.0.0.0 infra/mlflow/start.sh
#
# Settings come from the environment, under the names MLflow's own CLI reads:
#   MLFLOW_HOST                   bind address, default 127.0.0.1 (never the world by accident)
#   MLFLOW_PORT                   default 5000
#   MLFLOW_BACKEND_STORE_URI      runs/params/metrics; default sqlite:///$PWD/mlflow.db. A
#                                 postgresql:// URI uses psycopg (3), a project dependency.
#   MLFLOW_ARTIFACTS_DESTINATION  where proxied artifacts go; s3://bucket/prefix or a directory,
#                                 default $PWD/mlartifacts. S3 credentials come from the standard
#                                 AWS chain (env, profile, instance role); an S3-compatible store
#                                 is selected with AWS_ENDPOINT_URL (MLFLOW_S3_ENDPOINT_URL is set
#                                 from it when unset).
#   MLFLOW_ALLOWED_HOSTS          extra Host headers to accept when bound beyond localhost.
# Clients only ever see mlflow-artifacts:/ URIs, so they need no S3 credentials of their own.
set -euo pipefail

host="${MLFLOW_HOST:-127.0.0.1}"
port="${MLFLOW_PORT:-5000}"
backend="${MLFLOW_BACKEND_STORE_URI:-sqlite:///$PWD/mlflow.db}"
artifacts="${MLFLOW_ARTIFACTS_DESTINATION:-$PWD/mlartifacts}"
# Unset so the values above are the only ones mlflow sees (it also reads these names itself).
unset MLFLOW_HOST MLFLOW_PORT MLFLOW_BACKEND_STORE_URI MLFLOW_ARTIFACTS_DESTINATION

# The venv next to the repo when there is one, else whatever `mlflow` is on PATH.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mlflow="$repo/.venv/bin/mlflow"
[[ -x "$mlflow" ]] || mlflow="$(command -v mlflow)"
python="$(dirname "$mlflow")/python"

# The driver the URI names (SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3): fail here,
# saying which, rather than in a traceback. The URI goes by env so a password stays out of ps.
if [[ "$backend" == postgresql* || "$backend" == mysql* || "$backend" == mssql* ]] &&
    ! STORE_URI="$backend" "$python" -c "import os; from sqlalchemy.engine import make_url
make_url(os.environ['STORE_URI']).get_dialect().import_dbapi()" 2>/dev/null; then
    echo "start.sh: no database driver for ${backend%%://*}:// here" \
         "(PostgreSQL: pip install 'psycopg[binary]')" >&2
    exit 2
fi

# Why: with job execution on, MLflow 3 starts a Huey job runner beside the server (slow start,
# extra memory); one worker is plenty for a team server and starts in seconds.
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false
export MLFLOW_DISABLE_TELEMETRY=true
s3_endpoint="${AWS_ENDPOINT_URL_S3:-${AWS_ENDPOINT_URL:-}}"  # the same order as pipeline/io/storage.py
if [[ -n "$s3_endpoint" ]]; then
    export MLFLOW_S3_ENDPOINT_URL="${MLFLOW_S3_ENDPOINT_URL:-$s3_endpoint}"
fi

args=(server --host "$host" --port "$port" --workers 1
      --backend-store-uri "$backend" --artifacts-destination "$artifacts")
if [[ -n "${MLFLOW_ALLOWED_HOSTS:-}" ]]; then
    args+=(--allowed-hosts "$MLFLOW_ALLOWED_HOSTS")
fi
echo "start.sh: MLflow on http://$host:$port (backend ${backend%%://*}, artifacts $artifacts)" >&2
exec "$mlflow" "${args[@]}"
