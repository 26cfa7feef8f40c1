#!/usr/bin/env bash
# Soak test (issue 18), run on demand, not in CI: a release build on the real data set,
# SOAK_SECS (default 900) of mixed traffic, then the figures that say whether it holds up.
#
#   scripts/soak.sh                  # 15 minutes: 5 to warm up, 10 measured
#   SOAK_SECS=90 SOAK_WARMUP=30 scripts/soak.sh     # a quick look
#   SOAK_BIN=target/debug/actiondesk SOAK_SECS=90 SOAK_WARMUP=30 scripts/soak.sh   # no release build
#
# Imports the legislators (with district offices) and every ZIP of zccd.csv from
# ACTIONDESK_DATA_DIR (default ../shared/data; missing: says so and exits 0) into a fresh
# SQLite database with the demo campaign, then serves it (worker on: immediate digests,
# DIGEST_QUIET_SECS=0, checked every 15 s, to a local SMTP sink) and runs at once:
#   - wrk (-t1 -c16) on the demo call action's page for a ZIP drawn at random per request;
#   - scripts/soak-traffic.py: subscribes confirmed through the emailed link (2 a second),
#     outcome reports through the API (20 a second), organizer edits through the API (a PATCH
#     every 2 s, a campaign update every 30 s), and the SMTP sink;
#   - `actiondesk digest run` every 60 s, a second process on the same database.
# RATE_LIMIT_SCALE lifts the per-client limits: all of it comes from one address.
# Prints the 5xx answers (from /metrics, every route), "database is locked" lines in the
# logs, resident memory after the first 30 s and at the end with the growth, and p50/p99.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

SOAK_SECS=${SOAK_SECS:-900}
DATA=${ACTIONDESK_DATA_DIR:-../shared/data}
ACTION=call-your-senators-and-representative
# The first SOAK_WARMUP seconds fill the caches (pages, parts per ZIP, SQLite's pages):
# memory growth is counted from there to the end. The caches reach their weight bound in
# about 90 s and resident memory settles about 150 s later (the allocator's pages fill
# after the caches do: see BENCHMARKS.md), hence 300 s.
WARMUP=${SOAK_WARMUP:-300}
for f in legislators-current.yaml legislators-district-offices.yaml zccd.csv; do
  [ -f "$DATA/$f" ] || { echo "soak: $DATA/$f is missing, so there is nothing to soak on: skipped (set ACTIONDESK_DATA_DIR)"; exit 0; }
done
need wrk
need curl
need python3
[ "$SOAK_SECS" -gt "$WARMUP" ] || { echo "soak: SOAK_SECS must be over $WARMUP" >&2; exit 2; }

# SOAK_BIN: a binary to soak instead of building --release (figures from a debug build
# say whether it holds up, not how fast it is).
BIN=${SOAK_BIN:-target/release/actiondesk}
if [ -z "${SOAK_BIN:-}" ]; then
  echo "building --release …" >&2
  cargo build --release --locked --quiet
fi

WORK=$(mktemp -d)
APP_PID=""
DRIVER_PID=""
cleanup() {
  for p in "$APP_PID" "$DRIVER_PID"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

APP_PORT=$(free_port)
SMTP_PORT=$(free_port)
export DATABASE_URL="sqlite://$WORK/soak.db" SECRET_KEY="soak-secret-key-that-is-long-enough-0123456789"
export RUST_LOG=warn SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" RATE_LIMIT_SCALE=100000
export DIGEST_QUIET_SECS=0 DIGEST_INTERVAL_SECS=15 MAIL_RETRY_SECS=5 BIND="127.0.0.1:$APP_PORT"
"$BIN" migrate
"$BIN" demo >/dev/null
"$BIN" import legislators "$DATA/legislators-current.yaml" --offices "$DATA/legislators-district-offices.yaml" >/dev/null
"$BIN" import zips "$DATA/zccd.csv" >/dev/null
echo "soak-organizer-password" | "$BIN" organizer add soak@example.org >/dev/null
TOKEN=$("$BIN" token create soak@example.org --label soak)
awk -F, 'NR>1 {print $3}' "$DATA/zccd.csv" | sort -u >"$WORK/zips.txt"
# wrk counts 5xx itself too, per thread, summed when it is done.
lua_for "/actions/$ACTION?zip=" "$WORK/zip.lua" '
local threads = {}
setup = function(thread) table.insert(threads, thread) end
response = function(status, headers, body) if status >= 500 then server_errors = (server_errors or 0) + 1 end end
done = function(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + (t:get("server_errors") or 0) end
  io.write("wrk 5xx: " .. n .. "\n")
end'

"$BIN" serve --bind "127.0.0.1:$APP_PORT" 2>"$WORK/app.log" &
APP_PID=$!
wait_for "http://127.0.0.1:$APP_PORT/healthz" || { cat "$WORK/app.log" >&2; exit 1; }
rss() { awk '$1=="VmRSS:" {printf "%.1f", $2/1024}' "/proc/$APP_PID/status"; }
# Resident memory by kind: anonymous (the heap), file pages (the binary, SQLite's files
# mapped) and shared memory (SQLite's WAL index), in MB.
rss_parts() {
  awk '$1 ~ /^Rss(Anon|File|Shmem):$/ {printf "%s%s %.1f", sep, substr($1, 4, length($1) - 4), $2/1024; sep=", "}' \
    "/proc/$APP_PID/status"
}
RSS_IDLE=$(rss)
echo "$(machine); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "soak: ${SOAK_SECS}s of mixed traffic on $(wc -l <"$WORK/zips.txt") ZIP codes; idle ${RSS_IDLE} MB resident"

python3 scripts/soak-traffic.py "http://127.0.0.1:$APP_PORT" "$TOKEN" "$SOAK_SECS" "$SMTP_PORT" >"$WORK/driver.out" 2>&1 &
DRIVER_PID=$!
wrk -t1 -c16 -d"${SOAK_SECS}s" --timeout 10s --latency -s "$WORK/zip.lua" "http://127.0.0.1:$APP_PORT" >"$WORK/wrk.out" 2>&1 &
WRK_PID=$!
# Resident memory every 30 s, from the start of the traffic.
( t=0; while kill -0 "$WRK_PID" 2>/dev/null; do
    echo "$t $(rss)"
    caches=$(curl -fsS "http://127.0.0.1:$APP_PORT/metrics" 2>/dev/null |
      awk -F'[{}" ]+' '/^actiondesk_memory_(cache|sqlite)_bytes\{/ && !/highest/ {printf "%s%s %.1f", sep, ($3 == "now" ? "sqlite" : $3), $NF/1048576; sep=", "}')
    echo "${t}s: $(rss) MB ($(rss_parts)); by allocator: $(python3 scripts/memory-split.py "$APP_PID" | cut -d: -f2-); caches MB: $caches" >>"$WORK/rss-parts.txt"
    sleep 30; t=$((t + 30))
  done ) >"$WORK/rss.txt" 2>/dev/null &
RSS_PID=$!
STARTED=$(date +%s)
DIGEST_RUNS=0
: >"$WORK/digest.log"
RSS_START=""
while kill -0 "$WRK_PID" 2>/dev/null; do
  "$BIN" digest run >>"$WORK/digest.log" 2>&1 || echo "digest run failed: $?" >>"$WORK/digest.log"
  DIGEST_RUNS=$((DIGEST_RUNS + 1))
  for _ in $(seq 60); do
    kill -0 "$WRK_PID" 2>/dev/null || break
    if [ -z "$RSS_START" ] && [ $(($(date +%s) - STARTED)) -ge "$WARMUP" ]; then RSS_START=$(rss); fi
    sleep 1
  done
done
RSS_END=$(rss)
wait "$RSS_PID" 2>/dev/null || true
wait "$WRK_PID" || true
driver_status=0
wait "$DRIVER_PID" || driver_status=$?
DRIVER_PID=""

server_errors=$(curl -fsS "http://127.0.0.1:$APP_PORT/metrics" |
  awk '/^actiondesk_http_requests_total\{/ && /status="5[0-9][0-9]"/ {n += $NF} END {print n + 0}')
locked=$(cat "$WORK/app.log" "$WORK/digest.log" | grep -ci "database is locked" || true)
p50=$(awk '$1=="50%" {print $2}' "$WORK/wrk.out" | to_ms)
p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.out" | to_ms)
rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/wrk.out")
pages=$(awk '/requests in/ {print $1}' "$WORK/wrk.out")

echo
echo "pages (wrk, random ZIP): $pages requests, $rps req/s, p50 $p50 ms, p99 $p99 ms, $(grep 'wrk 5xx' "$WORK/wrk.out")"
cat "$WORK/driver.out"
echo "digest runs (second process): $DIGEST_RUNS; last: $(grep '^digests:' "$WORK/digest.log" | tail -n1)"
echo "5xx answers (all routes, /metrics): $server_errors"
echo "\"database is locked\" in the logs: $locked"
echo "resident memory (s MB): $(tr '\n' ' ' <"$WORK/rss.txt")"
echo "resident memory by kind:"
sed 's/^/  /' "$WORK/rss-parts.txt"
echo "resident memory: idle $RSS_IDLE MB, after ${WARMUP}s warm-up $RSS_START MB, end $RSS_END MB, growth $(awk -v a="$RSS_START" -v b="$RSS_END" 'BEGIN {printf "%.1f", 100*(b-a)/a}')%"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$server_errors" != 0 ] || [ "$locked" != 0 ] || [ "$driver_status" != 0 ]; then
  echo "soak: FAILED" >&2
  grep -iE "error|panic|locked" "$WORK/app.log" | head -n 20 >&2 || true
  exit 1
fi
