#!/usr/bin/env bash
# Runs schemathesis (every check, every operation) against a live server: `actiondesk serve`
# on a random port with a fresh SQLite database and the demo campaign, an API token for the
# writes, and the rate limits raised through RATE_LIMIT_SCALE so the writes are exercised
# instead of answering 429. Fails unless schemathesis reports no failure.
#
#   scripts/schemathesis.sh [BINARY] [extra schemathesis options…]
#
# BINARY defaults to target/debug/actiondesk (built by `cargo build` or `cargo test`; this
# script builds nothing). SCHEMATHESIS_MAX_EXAMPLES (default 100) cases per operation.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/actiondesk}
[ $# -gt 0 ] && shift
[ -x "$BIN" ] || { echo "schemathesis: no binary at $BIN (run cargo build first)" >&2; exit 1; }
command -v schemathesis >/dev/null || { echo "schemathesis: not installed (scripts/install-test-tools.sh)" >&2; exit 1; }
. scripts/bench-lib.sh

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(free_port)
export DATABASE_URL="sqlite://$WORK/st.db" MAIL_DIR="$WORK/outbox" BIND="127.0.0.1:$PORT" \
  SECRET_KEY=schemathesis-secret-key-0123456789abcdef RATE_LIMIT_SCALE=10000 RUST_LOG=warn
"$BIN" migrate
"$BIN" demo >/dev/null
echo "schemathesis-password" | "$BIN" organizer add st@example.org --admin >/dev/null
TOKEN=$("$BIN" token create st@example.org --label schemathesis)
"$BIN" serve --no-worker 2>"$WORK/server.log" &
SERVER_PID=$!
wait_for "http://127.0.0.1:$PORT/api/openapi.json" || { cat "$WORK/server.log" >&2; exit 1; }

status=0
schemathesis --config-file scripts/schemathesis.toml run "http://127.0.0.1:$PORT/api/openapi.json" \
  --checks all \
  --header "Authorization: Bearer $TOKEN" \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
  --generation-database none \
  --no-color \
  "$@" || status=$?
if grep -q "panicked" "$WORK/server.log"; then
  echo "schemathesis: the server panicked:" >&2
  grep -A5 panicked "$WORK/server.log" >&2
  status=1
fi
exit "$status"
