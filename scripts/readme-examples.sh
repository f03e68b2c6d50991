#!/usr/bin/env bash
# Runs the README's shell examples in order, as a newcomer would paste them, against a server
# that scripts/run.sh starts on a database of their own, and fails at the first example that
# fails, naming its line in README.md.
#
# Which blocks run (the one rule; follow it when you add a section):
#   - every block fenced ```sh runs, in the order of the file, in one bash with
#     `set -eo pipefail`, so that what one block defines the next one uses;
#   - a block fenced ```sh no-run is shown, not run: it starts a server of its own, needs
#     Docker, runs the whole test suite, or names hosts that are only examples;
#   - a block in any other language (```yaml, ```js, a bare ```) is not run.
# What the examples find: $API, the server's base URL (run.sh serves there, with a signing key
# for checkpoints and --rate-limit 0 for the load test); DATABASE_URL, its database as the
# owner; SERVER, a superuser of that server without a database (for restores); RESTORED, a
# database name free for a restore; bin/naptracker. They run in a temporary folder (files they
# write land there) in which bin is the repository's bin. curl fails on an HTTP error status
# (the runner adds --fail-with-body), so a call the server refuses fails its example.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
. scripts/postgres.sh

blocks=$(mktemp /tmp/naptracker-readme.XXXXXX.sh)
work=$(mktemp -d /tmp/naptracker-readme.XXXXXX)
PG_REMOVE=$(mktemp -d /tmp/naptracker-readme-pg.XXXXXX)
server=
database=naptracker_readme_$$
restored=naptracker_readme_restored_$$
cleanup() {
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; fi
  if [ -n "${PG_SERVER_URL:-}" ]; then
    for db in "$database" "$restored"; do
      psql -X -q -d "$PG_SERVER_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
  fi
  stop_postgres
  rm -rf "$blocks" "$work"
}
trap cleanup EXIT

# The blocks to run, each preceded by where it is in README.md.
awk '
  /^```/ && !inblock { inblock = 1; run = ($0 == "```sh"); if (run) printf "\nreadme_line=%d; echo \"--- README.md line %d\" >&2\n", NR, NR; next }
  /^```/ && inblock  { inblock = 0; next }
  inblock && run     { print }
' README.md > "$blocks"
echo "readme-examples: $(grep -c '^readme_line=' "$blocks") blocks to run from README.md" >&2

# The server: as test.sh finds one (NAPTRACKER_TEST_DATABASE_URL or DATABASE_URL first).
DATABASE_URL=${NAPTRACKER_TEST_DATABASE_URL:-${DATABASE_URL:-}}
use_postgres "$PG_REMOVE"
export DATABASE_URL SERVER RESTORED=$restored
DATABASE_URL=$(with_database "$PG_SERVER_URL" "$database")
SERVER=${PG_SERVER_URL%/*}
port=$(free_port 18080)
export API=http://127.0.0.1:$port

go build -buildvcs=auto -o bin/naptracker ./cmd/naptracker
bin/naptracker audit keygen --out "$work/audit.pem" >/dev/null
NAPTRACKER_ADDR=127.0.0.1:$port scripts/run.sh --audit-key "$work/audit.pem" --rate-limit 0 --log-level warn 2>"$work/server.log" &
server=$!
for _ in $(seq 600); do
  curl -fs "$API/readyz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; echo "readme-examples: run.sh stopped" >&2; exit 1; }
  sleep 0.2
done
curl -fs "$API/readyz" >/dev/null || { cat "$work/server.log" >&2; echo "readme-examples: the server did not become ready" >&2; exit 1; }

ln -s "$repo/bin" "$work/bin"
cd "$work"
bash -c '
  set -Eeo pipefail
  curl() { command curl --fail-with-body "$@"; }
  trap '\''echo "readme-examples: the example at README.md line $readme_line failed" >&2'\'' ERR
  . "$0"
' "$blocks"
echo "readme-examples: every example ran" >&2
