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
# The TypeScript SDK's end-to-end test packs the SDK and runs it with Node.js 22, installed
# into .cache/node when the one on PATH is older.
. scripts/node.sh
use_node
sdk/typescript/ensure-deps.sh
go test "$@" ./...
# The Go SDK is a module of its own, which ./... stops at.
(cd sdk/go && go test "$@" ./...)
