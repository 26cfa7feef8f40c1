#!/usr/bin/env bash
# Digest benchmark (issue 4): 100,000 confirmed subscribers, 20 changes, every digest
# composed and delivered by the real `actiondesk digest run` to a loopback SMTP sink, side
# by side with a bare lettre loop sending one pre-rendered digest to the same sink. Prints
# each round and the medians: messages per second, peak RSS, and the ratio.
#
# Usage: scripts/bench-digest.sh
#   SUBSCRIBERS=100000 CHANGES=20 ROUNDS=3 SMTP_POOL_SIZE=8 (the defaults)
#   BENCH_DATABASE_URL=postgres://…/empty_db   to measure on PostgreSQL instead of SQLite
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (peak RSS)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2
fi
echo "building --release (the bench and the actiondesk binary) …" >&2
cargo bench --locked --bench digest --no-run --quiet
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr)" >&2
exec cargo bench --locked --quiet --bench digest
