#!/usr/bin/env bash
# The failover drill: what an operator does when the primary database is lost, rehearsed on a
# private primary and streaming replica (PostgreSQL's own replication) that this script
# starts on free ports of 127.0.0.1 and removes afterwards.
#   1. a primary, and a replica made from it with pg_basebackup -R;
#   2. migrate and seed through the primary; serve from it, reading from the replica;
#   3. progress reported and approved through the API; a signed checkpoint of the audit trail
#      saved, as a partner witness would;
#   4. the primary fails (stopped at once); anonymous reads go on from the replica;
#   5. pg_ctl promote the replica, and point the server at it;
#   6. every approved update is there, `naptracker audit verify` passes against the saved
#      checkpoint, and the new primary takes writes.
# Needs PostgreSQL's server binaries, Go, curl and jq. Exits non-zero at the first step that
# fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/postgres.sh

say() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

bindir=$(pg_bindir) || { echo "failover-drill: install PostgreSQL (apt-get install postgresql)" >&2; exit 1; }
for tool in curl jq; do
  command -v $tool >/dev/null || { echo "failover-drill: install $tool" >&2; exit 1; }
done
dir=$(mktemp -d /tmp/naptracker-drill.XXXXXX)
chmod 755 "$dir"
as=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root; its own user must own the data.
  chown postgres: "$dir"
  as=(runuser -u postgres --)
fi
primary_port=$(free_port 25600)
replica_port=$(free_port $((primary_port + 1)))
api_port=$(free_port $((replica_port + 1)))
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  for d in replica primary; do
    [ -f "$dir/$d/postmaster.pid" ] && "${as[@]}" "$bindir/pg_ctl" -D "$dir/$d" -m immediate -w stop >/dev/null 2>&1
  done
  rm -rf "$dir"
}
trap cleanup EXIT

pg_start() { # NAME PORT
  "${as[@]}" "$bindir/pg_ctl" -D "$dir/$1" -l "$dir/$1.log" -w -t 60 \
    -o "-p $2 -k $dir -c listen_addresses=127.0.0.1" start >/dev/null \
    || { echo "failover-drill: the $1 did not start on port $2; its log:" >&2; tail -n 30 "$dir/$1.log" >&2; return 1; }
}
url() { echo "postgres://$1@127.0.0.1:$2/naptracker?sslmode=disable"; }
sql() { psql -X -Atq -d "$(url postgres "$1")" -c "$2"; }
# serve DATABASE_URL [ARGS…]: the server, in the background, until it is ready.
serve() {
  bin/naptracker serve --database-url "$1" --addr "127.0.0.1:$api_port" --rate-limit 0 --log-level warn "${@:2}" &
  server=$!
  for _ in $(seq 100); do curl -fs "$api/readyz" >/dev/null && return; sleep 0.1; done
  echo "failover-drill: the server did not become ready" >&2; return 1
}
stop_server() { kill "$server"; wait "$server" || true; server=; }
api=http://127.0.0.1:$api_port
J="Content-Type: application/json"

say "build bin/naptracker"
run go build -buildvcs=auto -o bin/naptracker ./cmd/naptracker

say "a primary on 127.0.0.1:$primary_port, and a streaming replica of it on 127.0.0.1:$replica_port"
"${as[@]}" "$bindir/initdb" -D "$dir/primary" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
pg_start primary "$primary_port"
run "${as[@]}" "$bindir/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/replica" -R -X stream
pg_start replica "$replica_port"
echo "replica in recovery: $(psql -X -Atq -d "postgres://postgres@127.0.0.1:$replica_port/postgres" -c 'select pg_is_in_recovery()')"

say "migrate and seed through the primary, as the owner; the server runs as naptracker_app"
export NAPTRACKER_APP_ROLE_PASSWORD=drill
owner=$(url postgres "$primary_port")
run bin/naptracker migrate up --app-role naptracker_app --app-role-login --database-url "$owner" | tail -1
run bin/naptracker seed --database-url "$owner"
bin/naptracker audit keygen --out "$dir/audit.pem"
token() { bin/naptracker tokens issue --database-url "$owner" --email "$1" --ttl 1h | tail -1; }
bin/naptracker users add --database-url "$owner" --email coordinator@drill.example --name "Coordinator" --role coordinator
bin/naptracker users add --database-url "$owner" --email fp@drill.example --name "Focal point" --role focal_point --org MS
bin/naptracker users add --database-url "$owner" --email approver@drill.example --name "Approver" --role approver --org MS
COORD="Authorization: Bearer $(token coordinator@drill.example)"
FP="Authorization: Bearer $(token fp@drill.example)"
APPROVER="Authorization: Bearer $(token approver@drill.example)"

say "serve from the primary, reading from the replica"
serve "$(url naptracker_app:drill "$primary_port")" --replica-url "$(url naptracker_app:drill "$replica_port")" \
  --audit-key "$dir/audit.pem" --checkpoint-every 1s
for _ in $(seq 50); do
  [ "$(curl -fs "$api/readyz" | jq -r '.replicas[0].state')" = streaming ] && break; sleep 0.1
done
run curl -fsS "$api/readyz"; echo

say "report on two measures the Migration Service leads: draft, sign off, approve"
plan=$(curl -fsS "$api/v1/plans" | jq -r '.items[0].id')
period=$(curl -fsS "$api/v1/plans/$plan/periods?limit=500" | jq -r '.items[-1].id')
for measure in $(curl -fsS "$api/v1/plans/$plan/measures?lead=MS&limit=2" | jq -r '.items[].id'); do
  u=$(curl -fsS "$api/v1/measures/$measure/updates" -H "$FP" -H "$J" -d "{\"period_id\": \"$period\",
    \"proposed_status\": \"in_progress\", \"progress_percent\": 60, \"visibility\": \"public\",
    \"narrative\": {\"en\": \"Reported during the failover drill.\"}}" | jq -r .id)
  curl -fsS "$api/v1/updates/$u/evidence" -H "$FP" -H "$J" \
    -d '{"kind": "web_page", "title": {"en": "The Migration Service"}, "url": "https://migration.tj/", "visibility": "public"}' >/dev/null
  curl -fsS -X POST "$api/v1/updates/$u/submit" -H "$FP" >/dev/null
  curl -fsS -X POST "$api/v1/updates/$u/sign-off" -H "$APPROVER" >/dev/null
  echo "approved $(curl -fsS -X POST "$api/v1/updates/$u/approve" -H "$COORD" | jq -r '.id + " " + .state + " content_sha256 " + .content_sha256')"
done
approved_before=$(sql "$primary_port" "select string_agg(id::text || ' ' || content_sha256, ',' order by id) from progress_updates where state = 'approved'")
echo "approved updates on the primary: $(tr ',' '\n' <<<"$approved_before" | wc -l)"

say "a partner saves a signed checkpoint of the audit trail"
for _ in $(seq 100); do
  cp=$(curl -fsS "$api/v1/audit/checkpoints?limit=1" | jq '.items[0]')
  [ "$cp" != null ] && [ "$(jq -r .seq <<<"$cp")" -ge "$(sql "$primary_port" 'select max(seq) from audit_events')" ] && break
  sleep 0.2
done
echo "$cp" > "$dir/checkpoint.json"
jq -c '{seq, head, key_id}' "$dir/checkpoint.json"
curl -fsS "$api/v1/audit/public-key" | jq -r .pem > "$dir/audit.pub"
for _ in $(seq 100); do
  [ "$(psql -X -Atq -d "$(url postgres "$replica_port")" -c 'select count(*) from audit_checkpoints')" -gt 0 ] && break; sleep 0.1
done

say "the primary fails"
run "${as[@]}" "$bindir/pg_ctl" -D "$dir/primary" -m immediate -w stop
echo "/readyz answers $(curl -s -o /dev/null -w '%{http_code}' "$api/readyz") (the primary is gone);" \
  "anonymous reads still answer from the replica: GET /v1/plans $(curl -s -o /dev/null -w '%{http_code}' "$api/v1/plans")"
stop_server

say "promote the replica, and point the server at it"
run "${as[@]}" "$bindir/pg_ctl" -D "$dir/replica" -w promote
echo "in recovery: $(sql "$replica_port" 'select pg_is_in_recovery()')"
serve "$(url naptracker_app:drill "$replica_port")" --audit-key "$dir/audit.pem"
run curl -fsS "$api/readyz"; echo

say "every approved update is there"
approved_after=$(sql "$replica_port" "select string_agg(id::text || ' ' || content_sha256, ',' order by id) from progress_updates where state = 'approved'")
[ "$approved_after" = "$approved_before" ] || { echo "failover-drill: approved updates differ after the failover" >&2; exit 1; }
echo "the same $(tr ',' '\n' <<<"$approved_after" | wc -l) approved updates, with the same content digests"
for id in $(tr ',' '\n' <<<"$approved_before" | cut -d' ' -f1 | tail -2); do
  echo "GET /v1/updates/$id: $(curl -fsS "$api/v1/updates/$id" | jq -r '.state + " " + .content_sha256')"
done

say "the audit trail verifies, and still reaches the checkpoint the partner saved"
run bin/naptracker audit verify --database-url "$(url postgres "$replica_port")" --checkpoint "$dir/checkpoint.json" --public-key "$dir/audit.pub"

say "the new primary takes writes"
measure=$(curl -fsS "$api/v1/plans/$plan/measures?lead=MS&limit=3" | jq -r '.items[2].id')
curl -fsS "$api/v1/measures/$measure/updates" -H "$FP" -H "$J" \
  -d "{\"period_id\": \"$period\", \"proposed_status\": \"in_progress\", \"narrative\": {\"en\": \"After the failover.\"}}" | jq -c '{id, state}'

say "failover drill passed"
