# cbingest: `make run` starts the service, `make test` runs every test (see README.md).
SHELL := /bin/bash
SWIFT ?= swift
PROTO_FILES := clickbank/ingest/v1/ingest.proto clickbank/rpc/v1/rpc.proto
PROTO_OUT := Sources/IngestProtoC

.PHONY: proto proto-check deps build release run test bench clean

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

# Release-build benchmarks; prints the tables that README.md shows.
bench: deps
	@scripts/bench.sh

clean:
	rm -rf .build .run
