#!/usr/bin/env bash
# A one-machine "cluster" to try the distributed path: Ray head + MLflow server + SeaweedFS S3,
# all bound to 127.0.0.1 on free ports, tracked in a state dir so down.sh stops exactly these.
#
#   infra/local/up.sh [STATE_DIR]            # default infra/local/.state (git-ignored)
#   source infra/local/.state/env.sh         # RAY_ADDRESS, MLFLOW_TRACKING_URI, AWS_* ...
#   ray job submit --working-dir . -- python -m pipeline.train ...
#   infra/local/down.sh [STATE_DIR]
#
# Optional env: RAY_NUM_CPUS (default: all cores), UNIT_LOCAL_BUCKET (default unit-local),
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (default: throw-away keys for this local S3 only),
# UNIT_LOCAL_BACKEND=sqlite (MLflow on $state/mlflow.db instead of PostgreSQL, which teams run
# and which takes concurrent writers without sqlite's locking; see infra/local/postgres.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
state="${1:-${UNIT_LOCAL_STATE:-$here/.state}}"
bin="${VENV:-$repo/.venv}/bin"
bucket="${UNIT_LOCAL_BUCKET:-unit-local}"

if [[ -f "$state/cluster_id" ]]; then
    echo "up.sh: a cluster is already up with state $state; run infra/local/down.sh first" >&2
    exit 1
fi
mkdir -p "$state/logs"
state="$(cd "$state" && pwd)"

# Every process started below inherits this id; down.sh stops exactly the processes holding it.
export UNIT_LOCAL_CLUSTER_ID="unit-local-$(date +%s)-$$-$RANDOM"
echo "$UNIT_LOCAL_CLUSTER_ID" > "$state/cluster_id"
trap 'echo "up.sh: start-up failed; stopping what was started (logs: $state/logs)" >&2;
      "$here/down.sh" "$state"' ERR

export MLFLOW_DISABLE_TELEMETRY=true DVC_NO_ANALYTICS=1 AWS_EC2_METADATA_DISABLED=true
export RAY_USAGE_STATS_ENABLED=0
# Token auth would make `ray job submit` fail without a token; this cluster is loopback-only.
export RAY_AUTH_MODE=disabled
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-unit-local-key}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-unit-local-secret}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

# Free ports from 20000-32000: below the kernel's ephemeral range (so a component picking a
# random port cannot take one of ours first) and above Ray's worker ports (10002-19999).
read -r -a ports < <("$bin/python" - <<'PY'
import random, socket
picked = []
while len(picked) < 22:
    port = random.randint(20000, 32000)
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
    if port not in picked:
        picked.append(port)
print(*picked)
PY
)
s3_port=${ports[0]} mlflow_port=${ports[1]} gcs_port=${ports[2]} dashboard_port=${ports[3]}
pg_port=${ports[21]}

# --- SeaweedFS: S3 on 127.0.0.1 (credentials from the AWS_* env above) -----------------------
weed_names=(master.port master.port.grpc volume.port volume.port.grpc filer.port filer.port.grpc
            s3.port.grpc admin.port admin.port.grpc metricsPort)
weed_args=(-s3.port="$s3_port")
for i in "${!weed_names[@]}"; do weed_args+=("-${weed_names[$i]}=${ports[$((i + 4))]}"); done
mkdir -p "$state/s3"
nohup "$bin/weed" mini -dir="$state/s3" -ip=127.0.0.1 -ip.bind=127.0.0.1 -webdav=false \
    -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false \
    "${weed_args[@]}" > "$state/logs/weed.log" 2>&1 &
echo $! > "$state/weed.pid"
export AWS_ENDPOINT_URL="http://127.0.0.1:$s3_port"
"$bin/python" - "$bucket" <<'PY'
import sys, time
import boto3
from botocore.config import Config

s3 = boto3.client("s3", config=Config(retries={"max_attempts": 1}, connect_timeout=1,
                                      s3={"addressing_style": "path"}))
deadline = time.monotonic() + 60
while True:
    try:
        names = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
        break
    except Exception:
        if time.monotonic() > deadline:
            sys.exit("SeaweedFS S3 did not come up in 60 s")
        time.sleep(0.3)
if sys.argv[1] not in names:
    s3.create_bucket(Bucket=sys.argv[1])
PY

# --- MLflow: PostgreSQL (or sqlite) in the state dir, artifacts proxied to the bucket ---------
if [[ "${UNIT_LOCAL_BACKEND:-postgresql}" == sqlite ]]; then
    backend="sqlite:///$state/mlflow.db"
else
    # Started with the cluster id in its environment like the rest; down.sh stops it first.
    backend="$("$here/postgres.sh" start "$state/postgres" "$pg_port" "$state/logs/postgres.log")"
fi
MLFLOW_PORT="$mlflow_port" MLFLOW_BACKEND_STORE_URI="$backend" \
MLFLOW_ARTIFACTS_DESTINATION="s3://$bucket/mlflow" \
    nohup "$repo/infra/mlflow/start.sh" > "$state/logs/mlflow.log" 2>&1 &
echo $! > "$state/mlflow.pid"
export MLFLOW_TRACKING_URI="http://127.0.0.1:$mlflow_port"
for _ in $(seq 1 240); do
    curl -sf "$MLFLOW_TRACKING_URI/health" > /dev/null && break
    sleep 0.5
done
curl -sf "$MLFLOW_TRACKING_URI/health" > /dev/null

# --- Ray head: jobs and train workers inherit MLFLOW_TRACKING_URI and the S3 env from it ------
ray_tmp="$(mktemp -d /tmp/unit-ray.XXXXXX)"  # short: Ray's socket paths must fit in 107 bytes
echo "$ray_tmp" > "$state/ray_temp_dir"
PATH="$bin:$PATH" "$bin/ray" start --head --node-ip-address=127.0.0.1 \
    --port="$gcs_port" --dashboard-host=127.0.0.1 --dashboard-port="$dashboard_port" \
    --ray-client-server-port="${ports[14]}" --dashboard-agent-listen-port="${ports[15]}" \
    --dashboard-agent-grpc-port="${ports[16]}" --metrics-export-port="${ports[17]}" \
    --node-manager-port="${ports[18]}" --object-manager-port="${ports[19]}" \
    --runtime-env-agent-port="${ports[20]}" \
    --num-cpus="${RAY_NUM_CPUS:-$(nproc)}" --temp-dir="$ray_tmp" \
    --disable-usage-stats > "$state/logs/ray-start.log" 2>&1
curl -sf "http://127.0.0.1:$dashboard_port/api/version" > /dev/null

cat > "$state/env.sh" <<ENV
# Written by infra/local/up.sh; \`source\` it to use the local cluster from this shell.
export RAY_ADDRESS=127.0.0.1:$gcs_port
export RAY_API_SERVER_ADDRESS=http://127.0.0.1:$dashboard_port
export RAY_AUTH_MODE=disabled
export MLFLOW_TRACKING_URI=$MLFLOW_TRACKING_URI
# The server's store, for a look with psql; clients use MLFLOW_TRACKING_URI above.
export UNIT_LOCAL_MLFLOW_BACKEND=$backend
export AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL
export AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
export AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
export AWS_DEFAULT_REGION=$AWS_DEFAULT_REGION
export AWS_EC2_METADATA_DISABLED=true
export MLFLOW_DISABLE_TELEMETRY=true
ENV
trap - ERR
cat <<MSG
Local cluster up (state: $state, logs: $state/logs).
  Ray dashboard  http://127.0.0.1:$dashboard_port    GCS 127.0.0.1:$gcs_port
  MLflow UI      $MLFLOW_TRACKING_URI    backend $backend
  S3 endpoint    $AWS_ENDPOINT_URL    bucket s3://$bucket

Use it from this shell:
  source $state/env.sh
  ray job submit --working-dir . -- python -m pipeline.train \\
      --set train.checkpoint.storage_path=s3://$bucket/ray_results
Stop it:
  $here/down.sh $state
MSG
