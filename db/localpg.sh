#!/usr/bin/env bash
# A throwaway PostgreSQL cluster in the project folder, for development and
# tests: no Docker, no system service. Installs the server with apt when it is
# missing, reuses a running cluster, prints its URL on stdout.
#   db/localpg.sh start|stop|url|db NAME   (db: start, ensure database NAME, print its URL)
set -euo pipefail
ROOT=${PGROOT:-$(cd "$(dirname "$0")/.." && pwd)/.pg}
PORT=${PGPORT:-54329}
# A link made below for a checkout the postgres user cannot reach.
if [ -L "$ROOT" ]; then ROOT=$(readlink -f "$ROOT"); fi
URL="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

install_server() {
  echo "localpg: installing PostgreSQL with apt" >&2
  "$(dirname "$0")/apt.sh" postgresql
}

# initdb refuses to run as root, so the server runs as the postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

running() { [ -n "${PGBIN:-}" ] && as_pg "$PGBIN/pg_ctl" -D "$ROOT/data" status >/dev/null 2>&1; }

case "${1:-start}" in
start)
  PGBIN=$(find_bin)
  if [ -z "$PGBIN" ]; then install_server; PGBIN=$(find_bin); fi
  if ! running; then
    if [ "$(id -u)" = 0 ] && [ ! -e "$ROOT" ] && ! runuser -u postgres -- test -x "$(dirname "$ROOT")"; then
      # The postgres user cannot reach the checkout (e.g. under root's home):
      # keep the data in a folder it can reach and link it from the project.
      real="/var/tmp/trail-pg-$(echo "$ROOT" | sha256sum | cut -c1-12)"
      mkdir -p "$real" && ln -sfn "$real" "$ROOT" && ROOT=$real
    fi
    mkdir -p "$ROOT"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$ROOT"; fi
    if [ ! -s "$ROOT/data/PG_VERSION" ]; then
      as_pg "$PGBIN/initdb" -D "$ROOT/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$ROOT/initdb.log"
    fi
    # Durability is not wanted here: speed is. max_connections covers parallel test packages.
    as_pg "$PGBIN/pg_ctl" -D "$ROOT/data" -l "$ROOT/server.log" -w -t 60 \
      -o "-p $PORT -k $ROOT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
      start >/dev/null
  fi
  echo "$URL";;
stop)
  PGBIN=$(find_bin)
  if running; then as_pg "$PGBIN/pg_ctl" -D "$ROOT/data" -m fast stop >/dev/null; fi
  echo "localpg: stopped" >&2;;
url) echo "$URL";;
db)
  name=${2:?usage: $0 db NAME}
  "$0" start >/dev/null
  if [ "$(as_pg psql -h "$ROOT" -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" != 1 ]; then
    as_pg psql -h "$ROOT" -p "$PORT" -U postgres -qc "CREATE DATABASE \"$name\"" >&2
  fi
  echo "postgres://postgres@127.0.0.1:$PORT/$name?sslmode=disable";;
*) echo "usage: $0 start|stop|url|db NAME" >&2; exit 2;;
esac
