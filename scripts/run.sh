#!/usr/bin/env bash
# Runs naptracker on http://localhost:8080 (docs at /docs): finds or starts PostgreSQL,
# migrates, loads the reference plan, and serves until Ctrl-C. Extra arguments go to serve.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/postgres.sh

if [ -z "${DATABASE_URL:-}" ]; then
  use_postgres "$PWD/.pgdata"
  DATABASE_URL=$(with_database "$PG_SERVER_URL" naptracker)
  ensure_database "$DATABASE_URL"
fi
export DATABASE_URL
go build -o bin/naptracker ./cmd/naptracker
bin/naptracker serve --migrate --seed --addr "${ADDR:-:8080}" "$@"
