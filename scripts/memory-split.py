#!/usr/bin/env python3
"""Where a running actiondesk's resident memory is, by allocator (used by scripts/soak.sh).

    scripts/memory-split.py PID        # one line: total and each kind, in MB

Reads /proc/PID/smaps and sorts each mapping's resident size into:
  mimalloc  anonymous mappings below 0x500000000000, where mimalloc reserves its arenas
            (the Rust heap; SQLite's too where it uses the process allocator);
  glibc     glibc's malloc: the main heap ([heap]) and its per-thread arenas (anonymous,
            64 MiB-aligned reservations high in the address space);
  stacks    [stack] and thread stacks (other anonymous mappings high up);
  files     the binary, libraries and other file mappings.
The split is by address, a heuristic that holds for this binary on x86-64 Linux.
"""
import re
import sys

ARENA_ALIGN = 64 << 20
MIMALLOC_BELOW = 0x500000000000


def split(pid):
    kinds = {"mimalloc": 0, "glibc": 0, "stacks": 0, "files": 0}
    start = None
    name = ""
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = re.match(r"^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$", line)
            if m:
                start = int(m.group(1), 16)
                name = m.group(2).strip()
                continue
            if not line.startswith("Rss:"):
                continue
            kb = int(line.split()[1])
            if name == "[heap]":
                kind = "glibc"
            elif name == "[stack]":
                kind = "stacks"
            elif name:
                kind = "files"
            elif start < MIMALLOC_BELOW:
                kind = "mimalloc"
            elif start % ARENA_ALIGN == 0:
                # A glibc arena is a 64 MiB-aligned reservation whose start is in use
                # (the PROT_NONE rest is never resident).
                kind = "glibc"
            else:
                kind = "stacks"
            kinds[kind] += kb
    return kinds


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: memory-split.py PID")
    kinds = split(sys.argv[1])
    total = sum(kinds.values())
    print(f"{total / 1024:.1f} MB: " + ", ".join(f"{k} {v / 1024:.1f}" for k, v in kinds.items()))


if __name__ == "__main__":
    main()
