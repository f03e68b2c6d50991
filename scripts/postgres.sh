# Finds a PostgreSQL server for naptracker's scripts, or starts one. Source it, then call
# use_postgres DATADIR: it sets PG_SERVER_URL to a postgres:// URL of a server's maintenance
# database, trying in turn
#   1. DATABASE_URL, when set;
#   2. the local server on 127.0.0.1:5432, when it answers;
#   3. a cluster of its own in DATADIR, from the installed PostgreSQL binaries (as the
#      postgres user when run as root), stopped when the calling script exits.
# Anything else is a one-line error naming the package to install.

pg_answers() { # HOST PORT
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$1" -p "$2" -t 2
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) $(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)"); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

free_port() {
  local port
  for port in $(seq 54329 54429); do
    pg_answers 127.0.0.1 "$port" || { echo "$port"; return 0; }
  done
  return 1
}

use_postgres() { # DATADIR
  local datadir=$1
  if [ -n "${DATABASE_URL:-}" ]; then
    PG_SERVER_URL=$DATABASE_URL
    return 0
  fi
  if pg_answers 127.0.0.1 5432; then
    PG_SERVER_URL="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
    return 0
  fi
  local bindir port
  if ! bindir=$(pg_bindir); then
    echo "naptracker: no PostgreSQL server answers and none is installed: install PostgreSQL 15 or newer (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL" >&2
    return 1
  fi
  port=$(free_port) || { echo "naptracker: no free port in 54329-54429 for a PostgreSQL cluster" >&2; return 1; }
  local as=()
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root.
    as=(runuser -u postgres --)
    mkdir -p "$datadir" && chown postgres: "$datadir"
  fi
  mkdir -p "$datadir"
  if [ ! -f "$datadir/data/PG_VERSION" ]; then
    "${as[@]}" "$bindir/initdb" -D "$datadir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$datadir/initdb.log" 2>&1 \
      || { echo "naptracker: initdb failed; see $datadir/initdb.log" >&2; return 1; }
  fi
  "${as[@]}" "$bindir/pg_ctl" -D "$datadir/data" -l "$datadir/server.log" -w -t 30 \
    -o "-k $datadir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
    || { echo "naptracker: PostgreSQL did not start; see $datadir/server.log" >&2; return 1; }
  PG_STOP=("${as[@]}" "$bindir/pg_ctl" -D "$datadir/data" -m fast -w stop)
  trap 'stop_postgres' EXIT
  PG_SERVER_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  echo "naptracker: started PostgreSQL from $bindir in $datadir on port $port" >&2
}

stop_postgres() {
  [ -n "${PG_STOP:-}" ] && "${PG_STOP[@]}" >/dev/null 2>&1
  [ -n "${PG_REMOVE:-}" ] && rm -rf "$PG_REMOVE"
  return 0
}

# with_database URL NAME prints URL with its database replaced by NAME.
with_database() {
  local url=$1 name=$2 base query=""
  case $url in *\?*) query="?${url#*\?}"; base=${url%%\?*} ;; *) base=$url ;; esac
  base=${base%/}
  local rest=${base#*://}
  case $rest in */*) base=${base%/*} ;; esac
  echo "$base/$name$query"
}

# ensure_database URL creates the database URL names when it does not exist.
ensure_database() {
  local url=$1 name
  name=${url%%\?*}; name=${name##*/}
  command -v psql >/dev/null 2>&1 || return 0
  local admin
  admin=$(with_database "$url" postgres)
  if ! psql "$admin" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$name'" 2>/dev/null | grep -q 1; then
    psql "$admin" -qc "CREATE DATABASE \"$name\"" >/dev/null && echo "naptracker: created database $name" >&2
  fi
}
