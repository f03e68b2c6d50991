#!/usr/bin/env bash
# Runs every test against a real PostgreSQL: NAPTRACKER_TEST_DATABASE_URL or DATABASE_URL
# when set, else the local server, else a throwaway cluster removed afterwards. Extra
# arguments go to go test (for example -race or -run).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/postgres.sh

# This script always provides a server, so a test that cannot reach it fails, never skips.
export CI=true
if [ -z "${NAPTRACKER_TEST_DATABASE_URL:-}" ]; then
  PG_REMOVE=$(mktemp -d /tmp/naptracker-pg.XXXXXX)
  trap stop_postgres EXIT
  use_postgres "$PG_REMOVE"
  export NAPTRACKER_TEST_DATABASE_URL=$PG_SERVER_URL
fi
# The TypeScript SDK's end-to-end test runs its pinned tsc with Node.js.
if ! command -v npm >/dev/null 2>&1; then
  echo "the TypeScript SDK's test needs Node.js 20 or newer and npm (apt-get install nodejs npm)" >&2
  exit 1
fi
sdk/typescript/ensure-deps.sh
go test "$@" ./...
