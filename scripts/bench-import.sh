#!/usr/bin/env bash
# Subscriber import benchmark (issue 17): a CSV of ROWS subscribers (90% with consent and
# a confirmed_at, 10% without, who each get one confirmation email queued) imported by the
# real `actiondesk subscribers import` into the demo database, then imported again (nothing
# may change), then exported. Prints each step's wall time and peak RSS.
#
# Usage: scripts/bench-import.sh          ROWS=100000 (the default)
#   BENCH_DATABASE_URL=postgres://…/empty_db   to measure on PostgreSQL instead of SQLite
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-100000}
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (peak RSS)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2
fi
echo "building --release …" >&2
cargo build --release --locked --quiet --bin actiondesk
BIN=$PWD/target/release/actiondesk
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export DATABASE_URL=${BENCH_DATABASE_URL:-sqlite://$WORK/bench.db}
export MAIL_DIR=$WORK/mail BASE_URL=https://actiondesk.example.org RUST_LOG=warn
export SECRET_KEY=bench-secret-key-that-is-long-enough-0123456789
"$BIN" demo >/dev/null
python3 - "$WORK/subscribers.csv" "$ROWS" <<'PY'
import csv, sys
path, rows = sys.argv[1], int(sys.argv[2])
freqs = ["immediate", "daily", "weekly"]
with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["email", "campaigns", "frequency", "confirmed_at", "source"])
    for i in range(rows):
        confirmed = "" if i % 10 == 9 else "2026-03-%02dT12:00:00Z" % (1 + i % 28)
        camps = "where-are-the-children" if i % 2 else ""
        w.writerow([f"supporter{i}@example.org", camps, freqs[i % 3], confirmed,
                    "Action Network export 2026-03"])
PY
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr)"
echo "rows: $ROWS ($(du -h "$WORK/subscribers.csv" | cut -f1) of CSV) on ${DATABASE_URL%%:*}"
step() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" ||
    { cat "$WORK/err" >&2; exit 1; }
  read -r secs kb <"$WORK/time"
  printf '%-22s %7.2f s  peak RSS %6.1f MB  %s\n' "$name" "$secs" "$(echo "$kb/1024" | bc -l)" \
    "$(tail -n1 "$WORK/out" | cut -c1-90)"
}
step "import" "$BIN" subscribers import "$WORK/subscribers.csv"
step "import again" "$BIN" subscribers import "$WORK/subscribers.csv"
step "export" "$BIN" subscribers export "$WORK/export.csv"
echo "exported rows: $(($(wc -l <"$WORK/export.csv") - 1))"
