#!/usr/bin/env bash
# Writes migrations/{sqlite,postgres}/NAME/up.sql from one template, so the two backends
# never drift. Usage: scripts/gen-migrations.sh TEMPLATE.sql NAME
set -euo pipefail
tpl=$1 name=$2
cd "$(dirname "$0")/.."
sed 's/__ID__/INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL/' "$tpl" > "migrations/sqlite/$name/up.sql"
sed -e 's/__ID__/SERIAL PRIMARY KEY/' -e 's/DOUBLE PRECISION/DOUBLE PRECISION/' "$tpl" > "migrations/postgres/$name/up.sql"
