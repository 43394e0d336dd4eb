#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the test suite and prints its URL.
# Usage: scripts/pg-test-server.sh start|stop   (installs Debian's postgresql if missing)
set -euo pipefail

PGPORT=${HAMAFZA_TEST_PG_PORT:-54329}
PGDIR=${HAMAFZA_TEST_PG_DIR:-/tmp/hamafza-test-pg}

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

ensure_installed() {
  if ! find_bin >/dev/null; then
    if [ "$(id -u)" != 0 ]; then
      echo "PostgreSQL is not installed and this is not root: install Debian's 'postgresql' package first." >&2
      exit 1
    fi
    echo "installing PostgreSQL from Debian's packages…" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
}

# Runs a command as the unprivileged 'postgres' user when we are root (initdb refuses root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    ensure_installed
    BIN=$(find_bin)
    if [ -f "$PGDIR/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$PGDIR" status >/dev/null 2>&1; then
      :
    else
      rm -rf "$PGDIR"
      mkdir -p "$PGDIR"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDIR"
      as_pg "$BIN/initdb" -D "$PGDIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
      as_pg "$BIN/pg_ctl" -D "$PGDIR" -l "$PGDIR/server.log" \
        -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" -w start >/dev/null
    fi
    echo "postgres://postgres@127.0.0.1:$PGPORT/postgres"
    ;;
  stop)
    BIN=$(find_bin) || exit 0
    as_pg "$BIN/pg_ctl" -D "$PGDIR" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
