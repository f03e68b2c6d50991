#!/usr/bin/env bash
# The measurements of docs/PERFORMANCE.md, as they were taken: against a database that holds
# the reference seed and `naptracker seed synthetic` at its defaults, the server and the raw
# baseline pinned to CPU 0, the load generator to CPU 1, the rate limit off. Writes every
# report (table and JSON) to OUT and prints a summary of the budget's rows.
#
#   scripts/perf.sh DATABASE_URL OUT [NAPTRACKER_BINARY]
#
# NAPTRACKER_BINARY is the server to measure (default: bin/naptracker, built from this tree),
# so that two versions can be measured in turn on the same machine and data; the load
# generator and the baseline are always this tree's.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:?usage: scripts/perf.sh DATABASE_URL OUT [NAPTRACKER_BINARY]}
out=${2:?usage: scripts/perf.sh DATABASE_URL OUT [NAPTRACKER_BINARY]}
mkdir -p "$out"
go build -o bin/naptracker ./cmd/naptracker
go build -o bin/naptracker-baseline ./cmd/naptracker-baseline
server_bin=${3:-bin/naptracker}
dur=${PERF_DURATION:-30s}
api=127.0.0.1:18090
base=127.0.0.1:18091

server= baseline=
cleanup() {
  for p in $server $baseline; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  return 0
}
trap cleanup EXIT
ready() { for _ in $(seq 300); do curl -fs "$1" >/dev/null && return; sleep 0.1; done; echo "perf: $1 not ready" >&2; return 1; }
# start [ENV=VALUE…]: the server on CPU 0 with the rate limits off; logs to OUT/server.log.
start() {
  env "$@" taskset -c 0 "$server_bin" serve --database-url "$db" --addr "$api" --migrate \
    --rate-limit 0 --max-streams-per-client 0 --max-streams 5000 >>"$out/server.log" 2>&1 &
  server=$!
  ready "http://$api/readyz"
}
stop() { kill "$server"; wait "$server" || true; server=; }
hwm() { awk '/VmHWM/ {print $2 / 1024 " MB"}' "/proc/$server/status"; }

taskset -c 0 bin/naptracker-baseline --addr "$base" --database-url "$db" >"$out/baseline.log" 2>&1 &
baseline=$!
start
NAPTRACKER_ADMIN_TOKEN=$(bin/naptracker tokens issue --database-url "$db" --email admin@commission.tj --ttl 24h | tail -1)
export NAPTRACKER_ADMIN_TOKEN
L=(taskset -c 1 bin/naptracker loadtest --url "http://$api")
# Every run is told the server's and the baseline's processes: it reports, besides throughput
# and latency, the CPU a request cost them and PostgreSQL, which a shared machine's neighbours
# change far less.
run() { # NAME ARGS…: one load run, its table on stdout and in OUT/NAME.txt, its JSON in OUT/NAME.json
  echo "== $1: ${*:2}"
  "${L[@]}" "${@:2}" --server-pid "$server" --baseline-pid "$baseline" --json "$out/$1.json" 2>/dev/null | tee "$out/$1.txt"
}

run warmup --scenario partner --duration 10s --concurrency 8 >/dev/null
run partner4 --scenario partner --duration "$dur" --concurrency 4 --baseline-url "http://$base"
run partner32 --scenario partner --duration "$dur" --concurrency 32 --baseline-url "http://$base"
run open600 --scenario partner --duration "$dur" --concurrency 64 --rate 600
run open1000 --scenario partner --duration "$dur" --concurrency 64 --rate 1000
run ministry8 --scenario ministry --duration "$dur" --concurrency 8
run ministry32 --scenario ministry --duration "$dur" --concurrency 32
echo "server peak memory before the mixed run: $(hwm)"

# Memory through the mixed scenario, from a fresh server without GOMEMLIMIT.
stop
start GOMEMLIMIT=
run mixed32 --scenario mixed --duration "$dur" --concurrency 32
echo "server peak memory (VmHWM) through the mixed run, no GOMEMLIMIT: $(hwm)" | tee "$out/mixed32.rss"

# Streams: the server's CPU while about twenty writes run, with no stream open and with 400
# open (both as the load test counts a phase's CPU); then a thousand streams.
stop
start
run writes20 --scenario ministry --duration 10s --concurrency 2 --rate 2
echo "server CPU through writes20: $(jq '.main.cpu_per_request.server_ms * .main.total.requests | round' "$out/writes20.json") ms" | tee "$out/writes20.cpu"
run streams400 --scenario streams --streams 400 --duration 10s --concurrency 2 --rate 2
stop
start
run streams1000 --scenario streams --streams 1000 --duration "$dur" --concurrency 8 --rate 20
