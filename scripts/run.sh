#!/usr/bin/env bash
# Runs naptracker on http://localhost:8080 (docs at /docs): finds or starts PostgreSQL,
# creates and migrates the database, loads the reference plan, and serves until stopped.
# Extra arguments go to `naptracker serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/postgres.sh

trap stop_postgres EXIT
if [ -z "${DATABASE_URL:-}" ]; then
  datadir=$PWD/.pgdata
  # Run as root, the cluster belongs to user postgres, which may not reach into this folder.
  [ "$(id -u)" = 0 ] && datadir=/var/tmp/naptracker-pgdata-$(printf %s "$PWD" | cksum | cut -d' ' -f1)
  use_postgres "$datadir"
  DATABASE_URL=$(with_database "$PG_SERVER_URL" naptracker)
fi
export DATABASE_URL
go build -o bin/naptracker ./cmd/naptracker
bin/naptracker serve --migrate --seed --addr "${ADDR:-:8080}" "$@" &
server=$!
# Forward a stop to the server and wait for its graceful shutdown before PostgreSQL stops.
trap 'kill -TERM $server 2>/dev/null; wait $server || true; stop_postgres' EXIT
trap 'exit 0' INT TERM
wait $server
