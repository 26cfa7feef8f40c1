#!/usr/bin/env bash
# Writes every migrations/{sqlite,postgres}/NAME/{up,down}.sql from migrations/template
# (NAME.sql and NAME.down.sql), then src/db/schema.rs, so the backends never drift.
#
#   scripts/gen-migrations.sh           regenerate everything (commit the result)
#   scripts/gen-migrations.sh --check   regenerate and fail if anything committed differs
#
# The only difference between the backends is the primary key: __ID__ in a template.
set -euo pipefail
cd "$(dirname "$0")/.."
for tpl in migrations/template/*.sql; do
  case $tpl in *.down.sql) continue ;; esac
  name=$(basename "$tpl" .sql)
  down=migrations/template/$name.down.sql
  [ -f "$down" ] || { echo "missing $down (the statements that undo $tpl)" >&2; exit 1; }
  for backend in sqlite postgres; do
    case $backend in
      sqlite) id='INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL' ;;
      postgres) id='SERIAL PRIMARY KEY' ;;
    esac
    mkdir -p "migrations/$backend/$name"
    sed "s/__ID__/$id/" "$tpl" > "migrations/$backend/$name/up.sql"
    sed "s/__ID__/$id/" "$down" > "migrations/$backend/$name/down.sql"
  done
done
python3 scripts/gen-schema.py
if [ "${1:-}" = --check ]; then
  if ! git diff --exit-code --stat -- migrations src/db/schema.rs \
      || [ -n "$(git ls-files --others --exclude-standard -- migrations)" ]; then
    echo "FAIL: migrations or src/db/schema.rs differ from what migrations/template generates;" \
      "run scripts/gen-migrations.sh and commit the result" >&2
    exit 1
  fi
  echo "migrations and schema.rs match migrations/template"
fi
