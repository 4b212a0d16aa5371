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
        # Two settings keep a durable commit's WAL flush from waiting behind bursts of data-file
        # write-back (the gateway's p99 at 16 connections rose to 22-117 ms in some windows of
        # sustained runs without them; see README, Benchmarks):
        # - backend_flush_after: server processes hand the data pages they write to the disk as they
        #   go, instead of leaving them to the kernel's write-back about 30 s later.
        # - shared_buffers = 32MB (default 128MB): PostgreSQL 15 extends a table by writing a zeroed
        #   page without that hand-over, which stays dirty in the kernel's cache until its buffer is
        #   evicted and written for real; under a steady stream of inserts about shared_buffers of
        #   them is always dirty, and the kernel writes a table file's dirty pages back all at once
        #   every 30 s. Measured in a noisy spell of the machine: 0 of 105 2 s windows over p99
        #   18 ms with 32MB against 9 of 105 (up to 69 ms) with 128MB, at the same rate. Reads are
        #   served from the kernel's page cache either way.
        as_owner "$pgbin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start \
            -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=500 -c fsync=on -c backend_flush_after=256kB -c shared_buffers=32MB" >/dev/null
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
