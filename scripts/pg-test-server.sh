#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the test suite and prints its URL; `stop`
# stops it and removes its folder, and with it every test database created in it.
#
#   dir=$(mktemp -d); url=$(scripts/pg-test-server.sh start "$dir"); …; scripts/pg-test-server.sh stop "$dir"
#
# Each run has its own folder and a port the kernel reports free, so two runs on one
# machine do not collide. Installs Debian's postgresql if missing.
set -euo pipefail

cmd=${1:-}
PGDIR=${2:-}
[ -n "$cmd" ] && [ -n "$PGDIR" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

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

# A TCP port nothing listens on now (the kernel picks it).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || shuf -i 20000-60000 -n 1
}

case "$cmd" in
  start)
    ensure_installed
    BIN=$(find_bin)
    mkdir -p "$PGDIR/data"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PGDIR"
    as_pg "$BIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    for _ in 1 2 3 4 5; do
      port=$(free_port)
      if as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" \
          -o "-p $port -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
          -w start >/dev/null 2>&1; then
        echo "postgres://postgres@127.0.0.1:$port/postgres"
        exit 0
      fi
    done
    echo "PostgreSQL did not start; its log:" >&2
    cat "$PGDIR/server.log" >&2 || true
    exit 1
    ;;
  stop)
    if BIN=$(find_bin) && [ -d "$PGDIR/data" ]; then
      as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PGDIR"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
