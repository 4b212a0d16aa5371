#!/usr/bin/env bash
# ImportCSV benchmark (called by `make bench`, or by hand against a running release server):
#   DATABASE_URL=... RPC_PORT=... SERVER_PID=... [BIN=.build/release] [IMPORT_ROWS=1000000] scripts/bench-import.sh
# Generates the export once into .run/ (../shared/tools/gen_clickbank_csv.py), imports it end to end
# with `cbingest import` (release build, Swift client streaming), then times two references on the same
# file and database: psql \copy into an all-text table (the raw limit), and psql \copy into a temporary
# table + one INSERT ... SELECT with casts ON CONFLICT DO NOTHING into a typed table with the natural-key
# unique index (a competent hand-written import). Prints markdown table rows and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL}" "${RPC_PORT:?set RPC_PORT}" "${SERVER_PID:?set SERVER_PID}"
rows=${IMPORT_ROWS:-1000000}
bin=${BIN:-$(swift build -c release --show-bin-path)}

mkdir -p .run
file=".run/clickbank-$rows-seed1.csv"
if [[ ! -s $file ]]; then
    python3 ../shared/tools/gen_clickbank_csv.py "$rows" "$file.tmp" --seed 1 2>/dev/null
    mv "$file.tmp" "$file"
fi
bytes=$(stat -c %s "$file")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
now() { date +%s.%N; }
# Each timed path starts from a vacuumed, checkpointed database, so none pays for the cleanup or the
# checkpoint of what ran before it (the gateway load, or the previous path's million rows).
settle() { psql "$DATABASE_URL" -q -c "VACUUM (ANALYZE)" -c "CHECKPOINT" >/dev/null 2>&1 || echo "(could not VACUUM/CHECKPOINT first: not a superuser?)" >&2; }
tenant="bench-import-$(date +%s)"

settle
start=$(now)
"$bin/cbingest" import --server "127.0.0.1:$RPC_PORT" --tenant "$tenant" --account genacct "$file" >/dev/null 2>&1
end=$(now)
import_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
rss=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status")
stored=$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM event_lines WHERE tenant_id = '$tenant'")

cols="transaction_date, transaction_time, receipt, transaction_type, role, vendor, affiliate, item, product_title,
    line_item_type, payment_method, currency, order_amount, account_amount, tax_amount, shipping_amount, tid,
    first_name, last_name, email, city, state, country, postal_code, upsell_original_receipt"
text_cols=$(echo "$cols" | tr -d '\n' | sed 's/,/ text,/g; s/$/ text/')
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 <<SQL
DROP TABLE IF EXISTS bench_raw_text, bench_typed;
CREATE TABLE bench_raw_text ($text_cols);
CREATE TABLE bench_typed (
    account text NOT NULL, role text NOT NULL, receipt text NOT NULL, transaction_type text NOT NULL,
    transaction_time timestamptz NOT NULL, item_no text NOT NULL, vendor text, affiliate text, product_title text,
    line_item_type text, payment_method text, currency text, order_amount numeric, account_amount numeric,
    tax_amount numeric, shipping_amount numeric, tid text, first_name text, last_name text, email text, city text,
    state text, country text, postal_code text, upsell_original_receipt text,
    UNIQUE (account, role, receipt, transaction_type, transaction_time, item_no)
);
SQL

settle
start=$(now)
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "\\copy bench_raw_text FROM '$file' WITH (FORMAT csv, HEADER true)"
end=$(now)
raw_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')

settle
start=$(now)
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 <<SQL
BEGIN;
CREATE TEMP TABLE stage ($text_cols) ON COMMIT DROP;
\\copy stage FROM '$file' WITH (FORMAT csv, HEADER true)
INSERT INTO bench_typed
SELECT 'genacct', upper(role), receipt, upper(transaction_type),
    (transaction_date || ' ' || transaction_time)::timestamp AT TIME ZONE 'America/Los_Angeles', coalesce(item, ''),
    vendor, affiliate, product_title, line_item_type, payment_method, currency,
    replace(order_amount, ',', '')::numeric, replace(account_amount, ',', '')::numeric,
    replace(tax_amount, ',', '')::numeric, replace(shipping_amount, ',', '')::numeric, tid, first_name, last_name, email,
    city, state, country, postal_code, upsell_original_receipt
FROM stage
ON CONFLICT DO NOTHING;
COMMIT;
SQL
end=$(now)
typed_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
typed_rows=$(psql "$DATABASE_URL" -qAtc "SELECT count(*) FROM bench_typed")
psql "$DATABASE_URL" -qc "DROP TABLE bench_raw_text, bench_typed"

awk -v rows="$rows" -v mb="$mb" -v i="$import_s" -v r="$raw_s" -v t="$typed_s" -v rss="$rss" \
    -v stored="$stored" -v typed_rows="$typed_rows" 'BEGIN {
    printf "\nCSV import (%d rows, %s MB, one file; ImportCSV through `cbingest import`, release build)\n\n", rows, mb
    print "| path | seconds | rows/s | MB/s | rows stored | server peak RSS MB |"
    print "|---|---|---|---|---|---|"
    printf "| ImportCSV end to end | %.1f | %.0f | %.1f | %d | %s |\n", i, rows / i, mb / i, stored, rss
    printf "| psql \\copy, all-text table (raw limit) | %.1f | %.0f | %.1f | %d | |\n", r, rows / r, mb / r, rows
    printf "| psql \\copy + INSERT ... SELECT casts ON CONFLICT DO NOTHING (typed with dedup) | %.1f | %.0f | %.1f | %d | |\n", t, rows / t, mb / t, typed_rows
    printf "\nImportCSV / typed-with-dedup: %.2f; ImportCSV / raw: %.2f\n", t / i, r / i
}'
