#!/usr/bin/env bash
# `make test`: starts a throwaway PostgreSQL, runs every test against it, and removes it again.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p .run
datadir=$(mktemp -d "$PWD/.run/pg-test.XXXXXX")
cleanup() {
    scripts/pg.sh stop "$datadir" || true
    rm -rf "$datadir"
}
trap cleanup EXIT

port=$(scripts/free-port.sh)
export PG_TEST_CONNINFO=$(scripts/pg.sh start "$datadir" "$port")
echo "test PostgreSQL: $PG_TEST_CONNINFO"
# Tests that need the database fail instead of skipping when this is set.
export CBINGEST_REQUIRE_DATABASE_TESTS=1

swift build --build-tests
if [ $# -gt 0 ]; then
    swift test --skip-build "$@"
    exit
fi
# Two runs in two processes: the suites that run servers and measure deadlines don't share the
# two cooperative threads with the CPU-heavy parser and crypto suites (which would starve them).
# The memory-growth check measures the whole process, so it runs alone.
servers='RPCCoreTests|IngestServiceTests|LibPQTests'
alone='MemoryTests'
# The integration suite needs a running server: scripts/integration.sh starts one (the way the
# container starts it, in its own network namespace) and runs it last.
integration='IntegrationTests'
swift test --skip-build --filter "$servers"
swift test --skip-build --filter "$alone"
swift test --skip-build --skip "$servers|$alone|$integration"
scripts/integration.sh
