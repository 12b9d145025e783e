#!/usr/bin/env bash
# One-command device check (≤ 10 min on one GPU): prints a JSON summary, exits non-zero on any
# failure. Without CUDA it says so and runs a CPU smoke of the same sections (exit 0 if green).
#   scripts/gpu_check.sh [--json gpu_check.json] [--budget-s 540] [--only throughput ...]
# The checks live in pipeline/bench/gpu_check.py; this only picks the interpreter and the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
export DVC_NO_ANALYTICS=1 MLFLOW_DISABLE_TELEMETRY=true AWS_EC2_METADATA_DISABLED=true
export RAY_USAGE_STATS_ENABLED=0 RAY_ADDRESS=${RAY_ADDRESS:-local}
# OpenMP threads sleep rather than spin while waiting (unit_core/cpu_threads.py): a shared
# machine's other processes cannot stall the CPU parts of the check.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
exec "$PY" -m pipeline.bench.gpu_check "$@"
