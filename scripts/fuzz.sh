#!/usr/bin/env bash
# Fuzzes every target in fuzz/ (cargo-fuzz, libFuzzer) for SECONDS each (default 60):
# the phone parser, the placeholder filler, the Markdown sanitiser, the representatives
# importers (legislators YAML, ZIP CSV) and the form decoders. The properties checked are in
# src/fuzz_checks.rs, which `cargo test` also replays over fuzz/corpus/ (the seeds, and every
# input that once failed). Not in CI: it needs the nightly toolchain and minutes.
#
#   scripts/fuzz.sh [SECONDS] [TARGET…]
#
# New interesting inputs go to fuzz/target/corpus/<target> (not kept); a failing input is
# written to fuzz/artifacts/<target>/: fix the cause, then copy it into fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
[ $# -gt 0 ] && shift
command -v cargo-fuzz >/dev/null || { echo "fuzz: installing cargo-fuzz" >&2; cargo install --locked cargo-fuzz; }
cd fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
# No sanitizer: the code is safe Rust, where AddressSanitizer finds nothing a panic would
# not, at several times the cost; coverage guidance stays.
cargo +nightly fuzz build --sanitizer none --debug-assertions
status=0
for t in "${targets[@]}"; do
  mkdir -p "target/corpus/$t"
  log=$(mktemp)
  if cargo +nightly fuzz run --sanitizer none --debug-assertions "$t" "target/corpus/$t" "corpus/$t" -- \
      -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | awk '{print substr($1, 2)}')
    printf 'fuzz %-13s %4ss  %10s runs  0 crashes\n' "$t" "$SECONDS_EACH" "${runs:-?}"
  else
    status=1
    printf 'fuzz %-13s FAILED:\n' "$t"
    grep -E "panicked|ERROR|SUMMARY|Test unit written|artifact_prefix" "$log" | head -20
  fi
  rm -f "$log"
done
exit "$status"
