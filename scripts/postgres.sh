# Finds a PostgreSQL server for naptracker's scripts, or starts one. Source it, then call
# use_postgres DATADIR: it sets PG_SERVER_URL to a postgres:// URL of a server's maintenance
# database, trying in turn
#   1. DATABASE_URL, when set;
#   2. the local server on 127.0.0.1:5432, when it lets user postgres in without a password;
#   3. a cluster of its own in DATADIR, from the installed PostgreSQL binaries (as the
#      postgres user when run as root), stopped when the calling script exits.
# Anything else is a one-line error naming the package to install.

LOCAL_URL="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

# pg_login URL succeeds when the server at URL answers and lets us in (no password prompt).
pg_login() {
  if command -v psql >/dev/null 2>&1; then
    PGCONNECT_TIMEOUT=3 psql -w "$1" -Atqc 'select 1' >/dev/null 2>&1
  elif command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -d "$1" -t 3
  else
    return 1
  fi
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port FROM prints the first port from FROM on that nothing listens on and that the kernel
# does not hand out to outgoing connections (its ephemeral range): a port in that range can be
# taken by a client's connection at any moment, and a server started on it fails to bind.
free_port() {
  local p lo=32768 hi=60999
  [ -r /proc/sys/net/ipv4/ip_local_port_range ] && read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
  for p in $(seq "$1" $(($1 + 200))); do
    [ "$p" -ge "$lo" ] && [ "$p" -le "$hi" ] && continue
    port_taken "$p" || { echo "$p"; return 0; }
  done
  echo "naptracker: no free port from $1 to $(($1 + 200))" >&2
  return 1
}

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

use_postgres() { # DATADIR
  local datadir=$1
  if [ -n "${DATABASE_URL:-}" ]; then
    PG_SERVER_URL=$DATABASE_URL
    return 0
  fi
  if pg_login "$LOCAL_URL"; then
    PG_SERVER_URL=$LOCAL_URL
    return 0
  fi
  local bindir port as=()
  if ! bindir=$(pg_bindir); then
    echo "naptracker: no PostgreSQL server lets us in on 127.0.0.1:5432 and none is installed: install PostgreSQL 15 or newer (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL" >&2
    return 1
  fi
  mkdir -p "$datadir"
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root; its own user must own the data.
    as=(runuser -u postgres --)
    chown postgres: "$datadir"
    if ! runuser -u postgres -- test -w "$datadir"; then
      echo "naptracker: user postgres cannot write to $datadir (a parent folder is closed to it)" >&2
      return 1
    fi
  fi
  [ -f "$datadir/data/PG_VERSION" ] || "${as[@]}" "$bindir/initdb" -D "$datadir/data" -U postgres -A trust -E UTF8 \
      --locale=C.UTF-8 --no-sync >"$datadir/initdb.log" 2>&1 \
    || { echo "naptracker: initdb failed; see $datadir/initdb.log" >&2; return 1; }
  # A server left running by an earlier run that was killed is stopped first.
  "${as[@]}" "$bindir/pg_ctl" -D "$datadir/data" status >/dev/null 2>&1 && "${as[@]}" "$bindir/pg_ctl" -D "$datadir/data" -m fast -w stop >/dev/null
  port=$(free_port 25432) || return 1
  "${as[@]}" "$bindir/pg_ctl" -D "$datadir/data" -l "$datadir/server.log" -w -t 30 \
    -o "-k '$datadir' -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
    || { echo "naptracker: PostgreSQL did not start; see $datadir/server.log" >&2; return 1; }
  PG_STOP=("${as[@]}" "$bindir/pg_ctl" -D "$datadir/data" -m fast -w stop)
  PG_SERVER_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  echo "naptracker: started PostgreSQL from $bindir in $datadir on port $port" >&2
}

# stop_postgres stops the cluster use_postgres started, if any, and removes PG_REMOVE if set.
stop_postgres() {
  if [ -n "${PG_STOP:-}" ]; then "${PG_STOP[@]}" >/dev/null 2>&1 || true; fi
  if [ -n "${PG_REMOVE:-}" ]; then rm -rf "$PG_REMOVE"; fi
  return 0
}

# with_database URL NAME prints URL with its database replaced by NAME.
with_database() {
  local url=$1 name=$2 base query=""
  case $url in *\?*) query="?${url#*\?}"; base=${url%%\?*} ;; *) base=$url ;; esac
  local rest=${base#*://}
  case $rest in */*) base=${base%/*} ;; esac
  echo "$base/$name$query"
}

# with_user URL USER PASSWORD prints URL (postgres://…) with its user and password replaced.
with_user() {
  local url=$1 user=$2 password=$3 scheme rest
  scheme=${url%%://*}
  rest=${url#*://}
  case ${rest%%/*} in *@*) rest=${rest#*@} ;; esac
  echo "$scheme://$user:$password@$rest"
}

# redacted_url URL prints URL without its password.
redacted_url() {
  local url=$1 scheme rest userinfo
  scheme=${url%%://*}
  rest=${url#*://}
  case ${rest%%/*} in
    *@*) userinfo=${rest%%@*}; rest=${rest#*@}; echo "$scheme://${userinfo%%:*}@$rest" ;;
    *) echo "$url" ;;
  esac
}
