#!/usr/bin/env bash
# Starts the local PostgreSQL 15 cluster (installing it where missing), makes a role and
# database for the tests, and prints the URL to use as TEST_DATABASE_URL.
# Usage: eval "$(scripts/start-postgres.sh)"   # exports TEST_DATABASE_URL
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /usr/lib/postgresql/15 ]; then
  echo "installing postgresql" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
if ! pg_lsclusters -h 2>/dev/null | awk '$1=="15" && $2=="main"' | grep -q .; then
  pg_createcluster 15 main >&2
fi
if ! pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}' | grep -q online; then
  pg_ctlcluster 15 main start >&2
fi
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q" && break
  sleep 1
done
su postgres -c "pg_isready" >&2 || { echo "PostgreSQL did not start" >&2; exit 1; }
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='actiondesk'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE actiondesk LOGIN SUPERUSER PASSWORD 'actiondesk'\"" >&2
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='actiondesk'\"" | grep -q 1 \
  || su postgres -c "createdb -O actiondesk actiondesk" >&2
echo "export TEST_DATABASE_URL=postgres://actiondesk:actiondesk@127.0.0.1:5432/actiondesk"
