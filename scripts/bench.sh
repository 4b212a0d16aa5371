#!/usr/bin/env bash
# `make bench`: release builds of server and load generator on loopback; prints markdown tables
# (README.md shows the measured ones). Everything it starts runs on 127.0.0.1 and is stopped at
# the end. BENCH_SECONDS sets each run's length (default 5); BENCH_SUSTAINED_SECONDS the length of the
# gateway's sustained run (default 60; 0 leaves it out).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${BENCH_SECONDS:-5}
sustained_seconds=${BENCH_SUSTAINED_SECONDS:-60}

swift build -c release --product cbingest
swift build -c release --product cbingest-bench
bin=$(swift build -c release --show-bin-path)

mkdir -p .run
work=$(mktemp -d "$PWD/.run/bench.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    scripts/pg.sh stop "$work/pg" || true
    rm -rf "$work"
}
trap cleanup EXIT

pg_port=$(scripts/free-port.sh)
export DATABASE_URL=$(scripts/pg.sh start "$work/pg" "$pg_port")
# A new cluster creates each 16 MB WAL file the first time it needs one: zero-filled and flushed to
# the disk while every commit waits for the WAL write lock, at the gateway's rate about once a
# second, until checkpoints start recycling the old files. A database that has been running reuses
# its files, so the benchmark makes them before measuring: 64 WAL switches (max_wal_size, 1 GB; each
# after a small record, as a switch with nothing written since the last one does nothing) and a
# checkpoint, which keeps the files for reuse.
psql "$DATABASE_URL" -q -c "DO \$\$ BEGIN FOR i IN 1..64 LOOP
        PERFORM pg_logical_emit_message(false, 'cbingest-bench', ''); PERFORM pg_switch_wal();
    END LOOP; END \$\$" -c "CHECKPOINT"
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/master.key")
rpc_port=$(scripts/free-port.sh)
http_port=$(scripts/free-port.sh)
echo_port=$(scripts/free-port.sh)

MALLOC_ARENA_MAX=2 CBINGEST_MASTER_KEY_FILE="$work/master.key" CBINGEST_LOG_LEVEL=error \
    "$bin/cbingest" serve --rpc-port "$rpc_port" --http-port "$http_port" >"$work/serve.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
"$bin/cbingest-bench" echo-server --port "$echo_port" >/dev/null &
echo_pid=$!
pids+=("$echo_pid")
for _ in $(seq 100); do
    "$bin/cbingest" health --server "127.0.0.1:$rpc_port" >/dev/null 2>&1 && break
    sleep 0.1
done

# The reference for the gateway's sustained run (below): pgbench's tables, created now, before any
# measurement, and written to the disk at once.
reference_url="${DATABASE_URL/dbname=cbingest/dbname=pgbench_reference}"
if [ "$sustained_seconds" -gt 0 ]; then
    psql "$DATABASE_URL" -qc "CREATE DATABASE pgbench_reference" >/dev/null
    pgbench -i -s 10 -q "$reference_url" >"$work/pgbench-init.out" 2>&1 || { cat "$work/pgbench-init.out" >&2; exit 1; }
    sync
fi

client=(--server "127.0.0.1:$rpc_port")
printf '%s' SYNTHKEY0000TEST | "$bin/cbingest" secret set --tenant bench --account synthvend "${client[@]}" >/dev/null
url=$("$bin/cbingest" webhook-url --tenant bench --account synthvend "${client[@]}" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
path="/${url#*://*/}"

echo
echo "RPC ($seconds s per row; server: cbingest release build; one connection per caller)"
echo
echo "| call | callers | calls/s | p50 ms | p99 ms | server RSS MB | failed |"
echo "|---|---|---|---|---|---|---|"
"$bin/cbingest-bench" rpc --port "$echo_port" --call echo --label "bare frame echo" --seconds "$seconds" --server-pid "$echo_pid"
"$bin/cbingest-bench" rpc --port "$rpc_port" --call check --label "health check" --seconds "$seconds" --server-pid "$server_pid"
"$bin/cbingest-bench" rpc --port "$rpc_port" --call webhook-url --tenant bench --account synthvend --label "GetWebhookURL" --seconds "$seconds" --server-pid "$server_pid"

template=$(mktemp "$work/template.XXXXXX")
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["expected"]["plaintext"], end="")' \
    ../shared/vectors/ipn/v7_sale_vendor.json > "$template"
echo
echo "Gateway (HTTP POST of real encrypted v7 bodies, distinct receipts, 10% redeliveries; keep-alive;"
echo "load from wrk, one thread, then from the Swift load generator for comparison)"
echo
echo "| load | connections | verified+stored/s | p50 ms | p99 ms | server RSS MB | non-200 |"
echo "|---|---|---|---|---|---|---|"
verified() {
    psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM ipn_deliveries WHERE tenant_id = 'bench' AND status = 'verified'"
}
run_id=$(date +%s)
# wrk_gateway NAME CONNECTIONS SECONDS [PER_SECOND]: POSTs for SECONDS bodies encrypted before the
# clock starts (enough for PER_SECOND a second, default 7,000, distinct receipts per NAME; past that
# wrk starts over and sends redeliveries), so the load generator takes as little CPU as possible
# from the server and database it shares the machine with; prints wrk's output.
wrk_gateway() {
    local bodies="$work/bodies-$1"
    local per_second=${4:-7000}
    "$bin/cbingest-bench" gateway-bodies --template "$template" --count $(($3 * per_second)) \
        --prefix "W${run_id}$1" --output "$bodies"
    # The file is hundreds of MB for the sustained run: written back now, not by the kernel about 30 s
    # later in the middle of the measurement, where its burst would hold up the durable commits.
    sync
    BODIES="$bodies" TARGET_PATH="$path" THREADS=1 \
        wrk -t1 -c"$2" -d"$3s" -s scripts/wrk-gateway.lua "http://127.0.0.1:$http_port"
    rm -f "$bodies"
}
stored_by_wrk=""
# wrk_row LABEL NAME CONNECTIONS SECONDS [PER_SECOND]: one measured wrk run, printed as a table row
# labelled LABEL; what it stored goes under the table (every 200 must be a stored, verified
# delivery, redeliveries included).
wrk_row() {
    local before after result per_second p50 p99 failed
    before=$(verified)
    result=$(wrk_gateway "$2" "$3" "$4" "${5:-}" | awk '$1 == "wrk-result" {print $2, $3, $4, $5}')
    after=$(verified)
    read -r per_second p50 p99 failed <<<"$result"
    printf '| %s | %d | %s | %s | %s | %s | %s |\n' "$1" "$3" "$per_second" "$p50" "$p99" \
        "$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$server_pid/status)" "$failed"
    stored_by_wrk+="$1 at $3 connections: $((after - before)) verified deliveries stored; "
}
# Warm-up, not measured: the first batches open the database connections and plan the statements.
wrk_gateway warm 16 2 >/dev/null
for connections in 16 64; do
    wrk_row wrk "C$connections" "$connections" "$seconds"
done
"$bin/cbingest-bench" gateway --port "$http_port" --path "$path" --template "$template" --seconds "$seconds" --server-pid "$server_pid" |
    sed 's/^| gateway POST |/| Swift client |/'
# Sustained: one wrk run at 16 connections on the database the runs above filled, long enough for
# PostgreSQL's background writes (the kernel's write-back of its data files, vacuum, checkpoints)
# to fall inside it.
if [ "$sustained_seconds" -gt 0 ]; then
    wrk_row "wrk, $sustained_seconds s sustained" S16 16 "$sustained_seconds" 4500
fi
stored=$(verified)
echo
echo "wrk runs: $stored_by_wrk"
echo "verified deliveries stored in all: $stored; server peak RSS: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$server_pid/status)"
# Reference, right after the sustained run and as long: pgbench -N (small durable write transactions,
# the issue's yardstick for this machine) at 16 clients on the same PostgreSQL, without the server.
# Every durable commit waits for the same disk flush, so its p99 shows whether a slow sustained row
# came from the gateway or from a slow spell of the machine.
if [ "$sustained_seconds" -gt 0 ]; then
    echo
    echo "Reference right after the sustained run, on the same PostgreSQL: pgbench -N (scale 10)"
    echo
    echo "| load | clients | transactions/s | p50 ms | p99 ms |"
    echo "|---|---|---|---|---|"
    mkdir "$work/pgbench"
    (cd "$work/pgbench" && pgbench -N -c 16 -j 2 -T "$sustained_seconds" -l "$reference_url" >pgbench.out 2>&1) ||
        { cat "$work/pgbench/pgbench.out" >&2; exit 1; }
    # The per-transaction log's third field is the latency in microseconds.
    awk '{print $3}' "$work"/pgbench/pgbench_log.* | sort -n | awk -v seconds="$sustained_seconds" \
        '{latency[NR] = $1} END {printf "| pgbench -N, %d s | 16 | %.0f | %.2f | %.2f |\n", seconds, NR / seconds,
            latency[int(NR * 0.5)] / 1000, latency[int(NR * 0.99)] / 1000}'
    rm -rf "$work/pgbench"
fi

echo
echo "ImportCSV (1,000,000-row export from gen_clickbank_csv.py, streamed through the Swift client)"
echo
DATABASE_URL="$DATABASE_URL" RPC_PORT="$rpc_port" SERVER_PID="$server_pid" BIN="$bin" scripts/bench-import.sh
