#!/usr/bin/env bash
# Builds the stock protobuf-c-rpc client library from SOURCES (a checkout of
# github.com/protobuf-c/protobuf-c-rpc, not part of this repository) with our protoc-c output,
# and runs stock_client.c against a cbingest server:
#   Tests/stock-c-client/run.sh SOURCES HOST:PORT TENANT ACCOUNT SECRET
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sources=${1:?protobuf-c-rpc sources}; shift
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/include/protobuf-c-rpc"
cp "$sources"/protobuf-c-rpc/*.h "$out/include/protobuf-c-rpc/"
gcc -O1 -w -DHAVE_SYS_POLL_H=1 -DHAVE_ALLOCA_H=1 -DHAVE_SYS_UIO_H=1 -DHAVE_UNISTD_H=1 -DHAVE_SMALL_FDS=1 -o "$out/stock_client" \
    -I "$out/include" -I "$out/include/protobuf-c-rpc" -I "$root/Sources/IngestProtoC/include" \
    "$here/stock_client.c" "$root/Sources/IngestProtoC/clickbank_ingest_v1_ingest.pb-c.c" \
    "$sources"/protobuf-c-rpc/protobuf-c-rpc-client.c "$sources"/protobuf-c-rpc/protobuf-c-rpc-data-buffer.c \
    "$sources"/protobuf-c-rpc/protobuf-c-rpc-dispatch.c \
    -lprotobuf-c
"$out/stock_client" "$@"
