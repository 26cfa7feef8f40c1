#!/usr/bin/env bash
# Drops the per-test databases and stops the local PostgreSQL 15 cluster cleanly, so the
# next start does not have to recover it.
set -uo pipefail
if pg_lsclusters -h 2>/dev/null | awk '$1=="15" && $2=="main" {print $4}' | grep -q online; then
  for db in $(su postgres -c "psql -qtAX -c \"SELECT datname FROM pg_database WHERE datname LIKE 'actiondesk\\_test\\_%'\""); do
    su postgres -c "psql -qtAX -c 'DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)'" >/dev/null
  done
  pg_ctlcluster 15 main stop -m fast
fi
