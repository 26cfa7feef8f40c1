#!/usr/bin/env bash
# Spike benchmark (issue 12): visitors from every ZIP code at once.
#
#   scripts/bench-spike.sh            # 3 rounds, wrk -t2 -c64 -d10s, digest stage with 100,000
#   ROUNDS=5 DURATION=20s DIGEST_SUBSCRIBERS=0 scripts/bench-spike.sh   # no digest stage
#   BENCH_DATABASE_URL=postgres://…/empty_db scripts/bench-spike.sh     # on PostgreSQL
#
# Builds --release; imports the real data set (ACTIONDESK_DATA_DIR, default ../shared/data:
# legislators with district offices, every ZIP of zccd.csv) into a fresh database with the
# demo campaign; starts `actiondesk serve` and nginx (serving one ZIP page's very bytes as a
# static file, with the same security and caching headers) on loopback; then, alternating for ROUNDS rounds, runs wrk against:
#   nginx   the static page                       (the yardstick)
#   action  the demo action page without a ZIP
#   zip     the action page for a ZIP drawn at random from all of zccd.csv, per request
#   reps    /reps for a random ZIP likewise
# and prints requests/s, p50, p99 and non-2xx per round, the medians and the ratio to nginx,
# and actiondesk's resident memory after the random-ZIP load (VmRSS) and at its peak (VmHWM).
#
# Digest stage (DIGEST_SUBSCRIBERS, default 100000; 0 skips it): the digest bench binary seeds
# that many confirmed subscribers and 20 changes into the same database and keeps its
# loopback SMTP sink up; wrk measures the random-ZIP page idle, then again while a real
# `actiondesk digest run` composes and sends every digest to the sink, and the p99 of both is
# printed with their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
DIGEST_SUBSCRIBERS=${DIGEST_SUBSCRIBERS:-100000}
ACTION=call-your-senators-and-representative
DATA=${ACTIONDESK_DATA_DIR:-../shared/data}

need wrk
need curl
need python3
for f in legislators-current.yaml legislators-district-offices.yaml zccd.csv; do
  [ -f "$DATA/$f" ] || { echo "bench-spike: $DATA/$f is missing (set ACTIONDESK_DATA_DIR)" >&2; exit 1; }
done

echo "building --release …" >&2
cargo build --release --locked --quiet
BIN=target/release/actiondesk
BENCH_BIN=""
if [ "$DIGEST_SUBSCRIBERS" -gt 0 ]; then
  BENCH_BIN=$(cargo bench --locked --bench digest --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "digest":
        print(m["executable"])')
  [ -x "$BENCH_BIN" ] || { echo "bench-spike: the digest bench did not build" >&2; exit 1; }
fi

WORK=$(mktemp -d)
APP_PID=""
NGINX_PID=""
SINK_PID=""
cleanup() {
  for p in "$APP_PID" "$NGINX_PID" "$SINK_PID"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export DATABASE_URL=${BENCH_DATABASE_URL:-sqlite://$WORK/spike.db}
export SECRET_KEY="bench-secret-key-that-is-long-enough-0123456789"
export MAIL_DIR="$WORK/outbox"
export RUST_LOG=warn
"$BIN" migrate
"$BIN" demo >/dev/null
t0=$(date +%s.%N)
"$BIN" import legislators "$DATA/legislators-current.yaml" --offices "$DATA/legislators-district-offices.yaml"
t1=$(date +%s.%N)
"$BIN" import zips "$DATA/zccd.csv"
t2=$(date +%s.%N)
printf 'imports: legislators %.1f s, zips %.1f s\n' "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)"

APP_PORT=$(free_port)
NGINX_PORT=$(free_port)
"$BIN" serve --bind "127.0.0.1:$APP_PORT" --no-worker 2>"$WORK/app.log" &
APP_PID=$!
wait_for "http://127.0.0.1:$APP_PORT/healthz" || { cat "$WORK/app.log" >&2; exit 1; }
rss() { awk -v k="$1:" '$1==k {printf "%.1f", $2/1024}' "/proc/$APP_PID/status"; }
echo "actiondesk idle: $(rss VmRSS) MB resident"

# Every ZIP of the file, for wrk to draw from.
awk -F, 'NR>1 {print $3}' "$DATA/zccd.csv" | sort -u >"$WORK/zips.txt"
ZIP_COUNT=$(wc -l <"$WORK/zips.txt")
lua_for "/actions/$ACTION?zip=" "$WORK/zip.lua"
lua_for "/reps?zip=" "$WORK/reps.lua"

# nginx serves exactly the bytes actiondesk serves for one ZIP's page.
SAMPLE=$(sed -n '1000p' "$WORK/zips.txt")
mkdir -p "$WORK/www"
curl -fs "http://127.0.0.1:$APP_PORT/actions/$ACTION?zip=$SAMPLE" -o "$WORK/www/page.html"
# …and the same headers (security policy, caching), so both answers weigh the same.
start_nginx "$NGINX_PORT" "$WORK/www" "$(headers_of "http://127.0.0.1:$APP_PORT/actions/$ACTION?zip=$SAMPLE" | tr '\n' ' ')"
wait_for "http://127.0.0.1:$NGINX_PORT/page" || { cat "$WORK/nginx/stderr" >&2; exit 1; }
cmp -s <(curl -fs "http://127.0.0.1:$NGINX_PORT/page") "$WORK/www/page.html" \
  || { echo "bench-spike: nginx does not serve the page" >&2; exit 1; }

declare -A RPS P50 P99 ERRORS
ORDER=(nginx action zip reps)
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round"
  run_wrk nginx "http://127.0.0.1:$NGINX_PORT/page"
  run_wrk action "http://127.0.0.1:$APP_PORT/actions/$ACTION"
  run_wrk zip "http://127.0.0.1:$APP_PORT" -s "$WORK/zip.lua"
  run_wrk reps "http://127.0.0.1:$APP_PORT" -s "$WORK/reps.lua"
  echo "  actiondesk after the random-ZIP load: $(rss VmRSS) MB resident"
done
sleep 2
STEADY=$(rss VmRSS)

echo
machine
echo "command: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS rounds alternating; ZIPs drawn from $ZIP_COUNT in zccd.csv;"
echo "         page /actions/$ACTION?zip=$SAMPLE ($(wc -c <"$WORK/www/page.html") bytes) for nginx; database ${DATABASE_URL%%:*}"
summary "${ORDER[@]}"
echo "actiondesk resident memory: $STEADY MB after the load, $(rss VmHWM) MB at its peak"

if [ "$DIGEST_SUBSCRIBERS" -gt 0 ]; then
  echo
  echo "digest stage: seeding $DIGEST_SUBSCRIBERS subscribers and 20 changes …" >&2
  HOLD=1 SUBSCRIBERS=$DIGEST_SUBSCRIBERS BENCH_DATABASE_URL=$DATABASE_URL BIN=$BIN \
    "$BENCH_BIN" --bench >"$WORK/sink.out" 2>"$WORK/sink.err" &
  SINK_PID=$!
  for _ in $(seq 1 1200); do
    grep -q '^SINK_PORT=' "$WORK/sink.out" 2>/dev/null && break
    kill -0 "$SINK_PID" 2>/dev/null || { cat "$WORK/sink.err" >&2; exit 1; }
    sleep 0.5
  done
  SINK_PORT=$(sed -n 's/^SINK_PORT=//p' "$WORK/sink.out")
  [ -n "$SINK_PORT" ] || { echo "bench-spike: the sink never started" >&2; exit 1; }
  run_wrk idle "http://127.0.0.1:$APP_PORT" -s "$WORK/zip.lua"
  start=$(date +%s.%N)
  # The changes were just made: without DIGEST_QUIET_SECS=0 the run would wait for the
  # quiet spell after them and compose nothing.
  SMTP_URL="smtp://127.0.0.1:$SINK_PORT" BASE_URL="https://actiondesk.example.org" DIGEST_QUIET_SECS=0 \
    "$BIN" digest run >"$WORK/digest.out" 2>"$WORK/digest.err" &
  DIGEST_PID=$!
  run_wrk sending "http://127.0.0.1:$APP_PORT" -s "$WORK/zip.lua"
  wait "$DIGEST_PID" || { cat "$WORK/digest.err" >&2; exit 1; }
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  echo "digest run: $(cat "$WORK/digest.out") in ${secs%.*}.${secs#*.}" | cut -c1-120
  grep -q "sent $DIGEST_SUBSCRIBERS," "$WORK/digest.out" || {
    echo "bench-spike: the digest run did not send $DIGEST_SUBSCRIBERS digests: the 'sending' figures measured nothing" >&2
    exit 1
  }
  idle=$(echo "${P99[idle]}" | median)
  sending=$(echo "${P99[sending]}" | median)
  printf 'p99 of random-ZIP pages: idle %s ms, while the digest run sends %s ms (%.1f× idle)\n' \
    "$idle" "$sending" "$(awk -v a="$sending" -v b="$idle" 'BEGIN {print a/b}')"
fi
