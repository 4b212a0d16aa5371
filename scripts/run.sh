#!/usr/bin/env bash
# `make run`: zero-configuration local service. Starts a local PostgreSQL (data in .pgdata/) unless
# DATABASE_URL is set, creates a local master key (.cbingest/master.key, mode 0600) unless one is
# configured, builds, and runs `cbingest serve` in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DATABASE_URL:-}" ]; then
    port=${CBINGEST_LOCAL_PG_PORT:-54329}
    export DATABASE_URL=$(scripts/pg.sh start .pgdata "$port")
    echo "local PostgreSQL: $DATABASE_URL (data in .pgdata/; stop it with 'make stop-db')"
fi

if [ -z "${CBINGEST_MASTER_KEY:-}" ] && [ -z "${CBINGEST_MASTER_KEY_FILE:-}" ]; then
    mkdir -p .cbingest
    if [ ! -f .cbingest/master.key ]; then
        (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > .cbingest/master.key)
        echo "generated a local master key in .cbingest/master.key (mode 0600)"
    fi
    export CBINGEST_MASTER_KEY_FILE=$PWD/.cbingest/master.key
fi

swift build --product cbingest
# Two malloc arenas halve the peak memory of large CSV imports (see README, Configuration).
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
exec .build/debug/cbingest serve "$@"
