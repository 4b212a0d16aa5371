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
swift test --skip-build "$@"
