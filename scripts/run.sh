#!/usr/bin/env bash
# Runs naptracker on http://localhost:8080 (docs at /docs; NAPTRACKER_ADDR=host:port chooses
# another address): finds or starts PostgreSQL, creates and migrates the database as the role
# that owns it, loads the reference plan, and serves until stopped as naptracker_app, a role
# that owns nothing and cannot change the audit trail. It says what it does as it goes, and
# which DATABASE_URL the README's commands need. Extra arguments go to `naptracker serve`.
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
# The role serve runs as, and its password for servers that ask for one.
APP_ROLE=naptracker_app
export NAPTRACKER_APP_ROLE_PASSWORD=${NAPTRACKER_APP_ROLE_PASSWORD:-naptracker-local}
export NAPTRACKER_ADDR=${NAPTRACKER_ADDR:-:8080}

echo "naptracker: building bin/naptracker" >&2
# Stamped with the commit (naptracker --version) wherever the checkout allows.
go build -buildvcs=auto -o bin/naptracker ./cmd/naptracker
echo "naptracker: migrating and seeding $(redacted_url "$DATABASE_URL") as its owner" >&2
bin/naptracker migrate up --app-role "$APP_ROLE" --app-role-login >&2
bin/naptracker seed >&2
echo "naptracker: for bin/naptracker's commands in another shell: export DATABASE_URL='$(redacted_url "$DATABASE_URL")'" >&2
echo "naptracker: serving http://localhost:${NAPTRACKER_ADDR##*:}/docs as $APP_ROLE; metrics at /metrics; Ctrl-C stops" >&2
bin/naptracker serve --database-url "$(with_user "$DATABASE_URL" "$APP_ROLE" "$NAPTRACKER_APP_ROLE_PASSWORD")" "$@" &
server=$!
# Forward a stop to the server and wait for its graceful shutdown before PostgreSQL stops.
trap 'kill -TERM $server 2>/dev/null; wait $server || true; stop_postgres' EXIT
trap 'exit 0' INT TERM
wait $server
