#!/usr/bin/env bash
# A throwaway or local PostgreSQL for `make run` and `make test`, in a project folder.
#   scripts/pg.sh start DIR PORT   initialise DIR if needed, start on 127.0.0.1:PORT, print a conninfo
#   scripts/pg.sh stop DIR         stop the server whose data is in DIR
# Runs the server as the `postgres` user when invoked as root (PostgreSQL refuses to run as root).
set -euo pipefail

cmd=${1:?usage: pg.sh start DIR PORT | stop DIR}
dir=${2:?data directory}
dir=$(mkdir -p "$dir" && cd "$dir" && pwd)

pgbin=""
for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/pg_ctl" ] && pgbin=$candidate
done
if [ -z "$pgbin" ]; then
    echo "pg.sh: no PostgreSQL server found (install Debian's 'postgresql' package: scripts/install-deps.sh)" >&2
    exit 1
fi

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        # -s: the postgres user's login shell may be nologin.
        su -s /bin/bash postgres -c "$(printf '%q ' "$@")"
    else
        "$@"
    fi
}

case "$cmd" in
start)
    port=${3:?port}
    # The server outlives this script: don't let it inherit the caller's descriptors (a pipe or
    # a process-monitoring socket), or the caller would wait for them to close forever.
    for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
    done
    exec </dev/null
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$dir"
        chmod 700 "$dir"
        # postgres must be able to reach DIR through its parents.
        p=$dir; while [ "$p" != / ]; do p=$(dirname "$p"); chmod o+x "$p" 2>/dev/null || true; done
    fi
    if [ ! -f "$dir/PG_VERSION" ]; then
        as_owner "$pgbin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_owner "$pgbin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
        # backend_flush_after: server processes hand the data pages they write to the disk as they go
        # (PostgreSQL's default leaves them to the kernel, which writes them back in bursts about 30 s
        # later, and a durable commit's WAL flush then waits behind the burst: the gateway's p99 at 16
        # connections rose to 30-117 ms in some 10 s windows of sustained runs; with this setting it
        # stayed under 20 ms in 27 of 30 such windows, both measured while the load generator's own
        # files were also being written back; see README, Benchmarks).
        as_owner "$pgbin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start \
            -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=500 -c fsync=on -c backend_flush_after=256kB" >/dev/null
    fi
    as_owner "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAtc \
        "SELECT 1 FROM pg_database WHERE datname = 'cbingest'" | grep -q 1 ||
        as_owner "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE cbingest" >/dev/null
    echo "host=127.0.0.1 port=$port user=postgres dbname=cbingest"
    ;;
stop)
    if [ -f "$dir/PG_VERSION" ] && as_owner "$pgbin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
        as_owner "$pgbin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    fi
    ;;
*)
    echo "usage: pg.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
