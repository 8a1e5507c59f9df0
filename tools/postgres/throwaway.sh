#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback, for tests.
#
#   throwaway.sh run -- CMD...   start a server, run CMD with TEST_DATABASE_URL set, stop the server
#   throwaway.sh start DIR PORT  initialise DIR (if new) and start a server on PORT; prints its URL
#   throwaway.sh stop DIR [MODE] stop the server of DIR: fast (clients are disconnected; the default)
#                                or immediate (no checkpoint: as a crash, recovered on the next start)
#   throwaway.sh install         make sure the server binaries are here: as root on Debian or Ubuntu,
#                                installs the distribution's `postgresql` package when they are not
#                                (.ci/run does this first); exits 69 with one line when it cannot
#
# Uses Debian's PostgreSQL server binaries (package postgresql-15 or newer). initdb refuses to run
# as root, so as root the server runs as the unprivileged `postgres` user. Without the binaries,
# `run` says so and runs CMD without TEST_DATABASE_URL (the PostgreSQL tests are then skipped).
set -euo pipefail

find_bindir() {
  local candidate
  for candidate in "${PG_BINDIR:-}" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -n "$candidate" ] && [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local dir=$1 port=$2 bindir
  bindir=$(find_bindir) || { echo "throwaway.sh: no PostgreSQL server binaries found (install postgresql-15)" >&2; return 1; }
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  chmod 700 "$dir"
  if [ ! -f "$dir/PG_VERSION" ]; then
    as_owner "$bindir/initdb" -D "$dir" -A trust -U postgres --no-sync >/dev/null
  fi
  as_owner "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
  echo "postgres://postgres@127.0.0.1:$port/postgres"
}

stop() {
  local dir=$1 mode=${2:-fast} bindir
  case "$mode" in fast | immediate) ;; *) echo "throwaway.sh: stop mode must be fast or immediate, not $mode" >&2; return 2 ;; esac
  bindir=$(find_bindir) || return 0
  [ -f "$dir/postmaster.pid" ] || return 0
  as_owner "$bindir/pg_ctl" -D "$dir" -m "$mode" -w -t 30 stop >/dev/null
}

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

install() {
  find_bindir >/dev/null && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "throwaway.sh: no PostgreSQL server binaries, and no root apt-get to install them (install postgresql-15 or newer)" >&2
    exit 69
  fi
  [ -n "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ] || apt-get update -qq >&2
  # The package's own cluster is not started here (no service manager in a container): tests start theirs.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
  find_bindir >/dev/null || { echo "throwaway.sh: postgresql installed, but no initdb and pg_ctl found" >&2; exit 69; }
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  run)
    shift
    [ "${1:-}" = "--" ] && shift
    if ! find_bindir >/dev/null; then
      echo "PostgreSQL tests skipped: no PostgreSQL server binaries (initdb, pg_ctl) on this machine; install postgresql-15 to run them." >&2
      exec "$@"
    fi
    dir=$(mktemp -d /tmp/throwaway-pg.XXXXXX)
    port=$(free_port)
    cleanup() { stop "$dir" || true; rm -rf "$dir"; }
    trap cleanup EXIT
    url=$(start "$dir" "$port")
    echo "Throwaway PostgreSQL server at $url (data in $dir)" >&2
    status=0
    TEST_DATABASE_URL=$url "$@" || status=$?
    exit $status
    ;;
  *)
    echo "usage: throwaway.sh run -- CMD... | start DIR PORT | stop DIR [fast|immediate] | install" >&2
    exit 2
    ;;
esac
