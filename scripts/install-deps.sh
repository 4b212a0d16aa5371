#!/usr/bin/env bash
# Installs the Debian packages cbingest needs to build, run and test, if any are missing.
# Needs root (or sudo) only when something is missing. `install-deps.sh bench` also installs what
# `make bench` needs (wrk, the HTTP load generator).
set -euo pipefail

packages=(
    libprotobuf-c-dev    # protobuf-c runtime for the generated messages
    protobuf-c-compiler  # protoc-c, for `make proto` and the staleness check
    libssl-dev           # OpenSSL: AES, SHA, random
    libpq-dev            # libpq: the PostgreSQL client
    postgresql           # a local server for `make run` and `make test`
    pkg-config           # SwiftPM finds the three C libraries through it
    iproute2             # `ip netns` for the integration test's own network namespace
    python3              # the independent reference client used by end-to-end tests
)
if [ "${1:-}" = bench ]; then
    packages+=(wrk)      # the HTTP load generator for the gateway benchmark
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
