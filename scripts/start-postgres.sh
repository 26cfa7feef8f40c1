#!/usr/bin/env bash
# Starts the local PostgreSQL 15 cluster (installing it where missing), makes a role and
# database for the tests, drops databases left by earlier test runs, and prints the URL to
# use as TEST_DATABASE_URL.
# Usage: eval "$(scripts/start-postgres.sh)"   # exports TEST_DATABASE_URL
# Stop it cleanly afterwards with: scripts/stop-postgres.sh
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /usr/lib/postgresql/15 ]; then
  echo "installing postgresql" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
if ! pg_lsclusters -h 2>/dev/null | awk '$1=="15" && $2=="main"' | grep -q .; then
  pg_createcluster 15 main >&2
fi
started=""
if ! pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}' | grep -q online; then
  started=1
  # A cluster that was not shut down cleanly replays its WAL first, which can take minutes
  # on a slow disk: wait up to 15 minutes rather than pg_ctl's default of one.
  pg_ctlcluster 15 main start -- -t 900 >&2 \
    || echo "pg_ctlcluster start returned non-zero; waiting for the server anyway" >&2
fi
ready=""
for i in $(seq 1 900); do
  if su postgres -c "pg_isready -q"; then ready=1; break; fi
  [ $((i % 30)) -eq 0 ] && echo "still waiting for PostgreSQL (${i}s)" >&2
  sleep 1
done
[ -n "$ready" ] || { su postgres -c "pg_isready" >&2; tail -20 /var/log/postgresql/postgresql-15-main.log >&2; echo "PostgreSQL did not start" >&2; exit 1; }
psql_admin() { su postgres -c "psql -qtAX -v ON_ERROR_STOP=1 -c \"$1\""; }
psql_admin "SELECT 1 FROM pg_roles WHERE rolname='actiondesk'" | grep -q 1 \
  || psql_admin "CREATE ROLE actiondesk LOGIN SUPERUSER PASSWORD 'actiondesk'" >&2
psql_admin "SELECT 1 FROM pg_database WHERE datname='actiondesk'" | grep -q 1 \
  || su postgres -c "createdb -O actiondesk actiondesk" >&2
# Each test makes a database of its own (actiondesk_test_*); when this script started the
# cluster, no run can be using them, so drop those of earlier runs and the cluster does not
# grow run after run. (A cluster that was already up may be serving another run's tests.)
stale=""
[ -n "$started" ] && stale=$(psql_admin "SELECT datname FROM pg_database WHERE datname LIKE 'actiondesk\_test\_%'")
if [ -n "$stale" ]; then
  echo "dropping $(echo "$stale" | wc -l) test databases left by earlier runs" >&2
  for db in $stale; do psql_admin "DROP DATABASE IF EXISTS \\\"$db\\\" WITH (FORCE)" >&2; done
fi
echo "export TEST_DATABASE_URL=postgres://actiondesk:actiondesk@127.0.0.1:5432/actiondesk"
