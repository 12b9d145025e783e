#!/usr/bin/env bash
# Stop exactly the local "cluster" that infra/local/up.sh started with this state dir.
#
#   infra/local/down.sh [STATE_DIR]          # default infra/local/.state, as for up.sh
#
# How it finds "exactly those": up.sh exports UNIT_LOCAL_CLUSTER_ID=<unique id> before starting
# anything, and every process inherits it — Ray's raylet, agents and workers (which Ray puts in
# process groups of their own and reparents when a raylet exits), MLflow's workers, SeaweedFS.
# So we stop every process of this user whose environment holds that id, and nothing else:
# never `ray stop` (it stops every Ray on the machine), never a kill by process name.
set -euo pipefail
# Called from up.sh's failure trap we inherit the id: start again without it, or this shell's
# own subshells (forks, which keep the environment they were exec'd with) would match below.
[[ -z "${UNIT_LOCAL_CLUSTER_ID:-}" ]] || exec env -u UNIT_LOCAL_CLUSTER_ID bash "$0" "$@"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
state="${1:-${UNIT_LOCAL_STATE:-$repo/infra/local/.state}}"
if [[ ! -f "$state/cluster_id" ]]; then
    echo "down.sh: nothing to stop ($state/cluster_id not found)" >&2
    exit 0
fi
id="$(<"$state/cluster_id")"

marked_pids() {
    # One grep over every process's environment; NUL-separated entries, so -z makes each
    # VAR=value a "line". Our own shell is excluded in case the caller exported the id.
    grep -lzxF "UNIT_LOCAL_CLUSTER_ID=$id" /proc/[0-9]*/environ 2>/dev/null \
        | sed -n 's#^/proc/\([0-9]*\)/environ$#\1#p' | grep -vx -e "$$" -e "$BASHPID" || true
}

any_alive() {
    local pid
    # Still carrying the id: alive, not a zombie (empty environ), not a recycled pid.
    for pid in "$@"; do
        grep -qzxF "UNIT_LOCAL_CLUSTER_ID=$id" "/proc/$pid/environ" 2>/dev/null && return 0
    done
    return 1
}

# PostgreSQL (unless UNIT_LOCAL_BACKEND=sqlite) by pg_ctl first: a clean checkpointed shutdown.
# Its children rewrite their environment for their process titles, so the id finds only its
# postmaster below, and a postmaster killed that way would leave them to notice on their own.
if [[ -d "$state/postgres/data" ]]; then
    "$repo/infra/local/postgres.sh" stop "$state/postgres" \
        || echo "down.sh: pg_ctl stop failed; stopping the postmaster by signal" >&2
fi

# Gentle first (Ray and MLflow flush logs on SIGTERM), then SIGKILL whatever is left; rescan
# between rounds because Ray may still spawn a worker while it shuts down.
for signal in TERM KILL KILL; do
    read -r -a pids <<< "$(marked_pids | tr '\n' ' ')"
    [[ ${#pids[@]} -eq 0 ]] && break
    kill "-$signal" "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 1 40); do
        any_alive "${pids[@]}" || break
        sleep 0.25
    done
done

left="$(marked_pids)"
if [[ -n "$left" ]]; then
    echo "down.sh: processes still running: $left" >&2
    exit 1
fi
# Ray's temp dir lives under /tmp (socket paths must stay short); the rest of the state dir
# (logs, mlflow.db or postgres/, S3 data) is kept for a look afterwards. Dropping cluster_id
# lets up.sh run again.
if [[ -f "$state/ray_temp_dir" ]]; then
    ray_tmp="$(<"$state/ray_temp_dir")"
    [[ "$ray_tmp" == /tmp/unit-ray.* ]] && rm -rf -- "$ray_tmp"
    rm -f -- "$state/ray_temp_dir"
fi
rm -f -- "$state/cluster_id"
echo "down.sh: stopped cluster $id" >&2
