#!/usr/bin/env bash
# A throw-away PostgreSQL for a local MLflow backend: Debian's server binaries, data in a folder
# of ours, listening on 127.0.0.1 only. up.sh, down.sh and the tests all start/stop it here.
#
#   infra/local/postgres.sh start DIR PORT [LOG]   # initdb DIR/data if new, start; prints the URI
#   infra/local/postgres.sh stop DIR               # clean (fast) shutdown; a no-op if not running
#
# The URI is postgresql://mlflow@127.0.0.1:PORT/mlflow. Auth is `trust` for local connections
# and no password exists: fine for this loopback-only dev cluster (any user of this host can
# reach it, as they can the MLflow server itself); a team server uses its own PostgreSQL.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user
# (UNIT_LOCAL_PG_USER), which must be able to reach DIR. Binaries: PG_BIN, else `initdb` on
# PATH, else the newest /usr/lib/postgresql/*/bin.
set -euo pipefail

pg_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
    if command -v initdb > /dev/null; then dirname "$(readlink -f "$(command -v initdb)")"; return; fi
    local newest
    newest="$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)"
    if [[ -z "$newest" ]]; then
        echo "postgres.sh: no PostgreSQL found: apt-get install postgresql" \
             "(or UNIT_LOCAL_BACKEND=sqlite for up.sh)" >&2
        exit 2
    fi
    echo "$newest"
}

as_db_user() {
    if [[ $EUID -eq 0 ]]; then runuser -u "${UNIT_LOCAL_PG_USER:-postgres}" -- "$@"; else "$@"; fi
}

start() {
    local dir="$1" port="$2" log="${3:-$1/postgres.log}" bin
    bin="$(pg_bin)"
    mkdir -p "$dir"
    touch "$log"
    if [[ $EUID -eq 0 ]]; then chown "${UNIT_LOCAL_PG_USER:-postgres}:" "$dir" "$log"; fi
    chmod 700 "$dir"
    if ! as_db_user test -w "$dir"; then
        echo "postgres.sh: user ${UNIT_LOCAL_PG_USER:-postgres} cannot reach $dir: open its parent" \
             "folders to it (chmod o+x), pick another folder, or use UNIT_LOCAL_BACKEND=sqlite" >&2
        exit 2
    fi
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        # --no-sync: initdb's final fsync costs seconds and a fresh cluster has nothing to lose.
        as_db_user "$bin/initdb" -D "$dir/data" -U mlflow --auth=trust -E UTF8 --no-sync \
            >> "$log" 2>&1
    fi
    # The socket goes next to the data (never /var/run/postgresql, the system cluster's); a
    # path past the kernel's 107 bytes for sockets would stop start-up, so then TCP only.
    local sockets="$dir"
    (( ${#dir} + 20 > 107 )) && sockets=""
    as_db_user "$bin/pg_ctl" -D "$dir/data" -l "$log" -w -t 60 -o \
        "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$sockets'" \
        start > /dev/null
    if ! as_db_user "$bin/psql" -h 127.0.0.1 -p "$port" -U mlflow -d postgres -Atqc \
            "SELECT 1 FROM pg_database WHERE datname = 'mlflow'" | grep -q 1; then
        as_db_user "$bin/createdb" -h 127.0.0.1 -p "$port" -U mlflow mlflow
    fi
    echo "postgresql://mlflow@127.0.0.1:$port/mlflow"
}

stop() {
    local dir="$1"
    [[ -f "$dir/data/postmaster.pid" ]] || return 0
    as_db_user "$(pg_bin)/pg_ctl" -D "$dir/data" status > /dev/null || return 0  # stale pid file
    # fast: roll back open sessions, checkpoint, exit; immediate only if that hangs.
    as_db_user "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop > /dev/null \
        || as_db_user "$(pg_bin)/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop > /dev/null
}

case "${1:-}" in
    start) [[ $# -ge 3 ]] || { echo "usage: $0 start DIR PORT [LOG]" >&2; exit 2; }; start "${@:2}" ;;
    stop) [[ $# -eq 2 ]] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
    *) echo "usage: $0 start DIR PORT [LOG] | stop DIR" >&2; exit 2 ;;
esac
