#!/usr/bin/env bash
# Benchmark of the public pages' hot path, side by side with nginx serving the same bytes.
#
#   scripts/bench-pages.sh            # defaults: 3 rounds, wrk -t2 -c64 -d10s
#   ROUNDS=5 DURATION=20s CONNECTIONS=128 THREADS=2 scripts/bench-pages.sh
#
# Builds --release, starts actiondesk on a fresh SQLite database with the demo campaign and
# nginx serving the demo action page's bytes as a static file, both on loopback, then runs
# wrk with the same threads/connections/duration against each target in turn, alternating,
# for ROUNDS rounds. Prints requests/s, p50 and p99 per round and the medians, and the
# ratio of each actiondesk target to nginx.
#
# The `?zip=` target needs ZIP-to-district and legislator data: set ZIPS_CSV (and
# LEGISLATORS_YAML) to files `actiondesk import` accepts, and ZIP to a ZIP they cover;
# without them that target is skipped and says so.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
ACTION=${ACTION:-call-your-senators-and-representative}
ZIP=${ZIP:-}

. scripts/bench-lib.sh
need wrk
need curl

echo "building --release …" >&2
cargo build --release --quiet
BIN=target/release/actiondesk

WORK=$(mktemp -d)
# nginx workers run as an unprivileged user when started as root: let them read the page.
chmod 755 "$WORK"
APP_PID=""
NGINX_PID=""
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

APP_PORT=$(free_port)
NGINX_PORT=$(free_port)

export DATABASE_URL="sqlite://$WORK/bench.db"
export SECRET_KEY="bench-secret-key-that-is-long-enough-0123456789"
export MAIL_DIR="$WORK/outbox"
export RUST_LOG=warn
if [ -n "${ZIPS_CSV:-}" ]; then
  "$BIN" migrate
  [ -n "${LEGISLATORS_YAML:-}" ] && "$BIN" import legislators "$LEGISLATORS_YAML"
  "$BIN" import zips "$ZIPS_CSV"
fi
"$BIN" serve --bind "127.0.0.1:$APP_PORT" --no-worker 2>"$WORK/app.log" &
APP_PID=$!
wait_for "http://127.0.0.1:$APP_PORT/healthz" || { cat "$WORK/app.log" >&2; exit 1; }

# nginx serves exactly the bytes actiondesk serves for the action page.
mkdir -p "$WORK/www/actions"
curl -fs "http://127.0.0.1:$APP_PORT/actions/$ACTION" -o "$WORK/www/actions/$ACTION.html"
start_nginx "$NGINX_PORT" "$WORK/www"
wait_for "http://127.0.0.1:$NGINX_PORT/actions/$ACTION" || { cat "$WORK/nginx/stderr" >&2; exit 1; }
cmp -s <(curl -fs "http://127.0.0.1:$NGINX_PORT/actions/$ACTION") "$WORK/www/actions/$ACTION.html" \
  || { echo "bench-pages: nginx does not serve the page" >&2; cat "$WORK/nginx/stderr" >&2; exit 1; }

declare -A URLS=(
  [nginx]="http://127.0.0.1:$NGINX_PORT/actions/$ACTION"
  [action]="http://127.0.0.1:$APP_PORT/actions/$ACTION"
)
ORDER=(nginx action)
if [ -n "$ZIP" ]; then
  URLS[zip]="http://127.0.0.1:$APP_PORT/actions/$ACTION?zip=$ZIP"
  ORDER+=(zip)
  curl -fs "${URLS[zip]}" >/dev/null || { echo "bench-pages: ${URLS[zip]} fails" >&2; exit 1; }
else
  echo "note: the ?zip= target is skipped (set ZIP, ZIPS_CSV and LEGISLATORS_YAML)" >&2
fi

declare -A RPS P50 P99
for round in $(seq 1 "$ROUNDS"); do
  for name in "${ORDER[@]}"; do
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${URLS[$name]}")
    if echo "$out" | grep -q "Non-2xx"; then echo "bench-pages: $name answered errors:" >&2; echo "$out" >&2; exit 1; fi
    rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}' | to_ms)
    p99=$(echo "$out" | awk '$1=="99%" {print $2}' | to_ms)
    RPS[$name]="${RPS[$name]:-} $rps"; P50[$name]="${P50[$name]:-} $p50"; P99[$name]="${P99[$name]:-} $p99"
    printf 'round %d  %-7s %10s req/s  p50 %8s ms  p99 %8s ms\n' "$round" "$name" "$rps" "$p50" "$p99"
  done
done

echo
echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -sr)"
echo "command: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS rounds alternating; page /actions/$ACTION ($(wc -c <"$WORK/www/actions/$ACTION.html") bytes)"
printf '%-8s %12s %10s %10s %8s\n' target "req/s" "p50 ms" "p99 ms" "vs nginx"
NGINX_RPS=$(echo "${RPS[nginx]}" | median)
for name in "${ORDER[@]}"; do
  r=$(echo "${RPS[$name]}" | median)
  printf '%-8s %12s %10s %10s %7.0f%%\n' "$name" "$r" "$(echo "${P50[$name]}" | median)" \
    "$(echo "${P99[$name]}" | median)" "$(awk -v a="$r" -v b="$NGINX_RPS" 'BEGIN {print 100*a/b}')"
done
