#!/usr/bin/env bash
# PgBouncer in transaction mode in front of the throwaway PostgreSQL cluster
# (db/localpg.sh), as a production deployment may run it: no system service.
# Installs Debian's pgbouncer with apt when it is missing, reuses a running
# one, prints the pooled URL on stdout (every database of the cluster is
# reachable through it under its own name).
#   db/pgbouncer.sh start|stop|url|install
# Environment: PGB_DIR (config, log, pid; default .pg/pgbouncer), PGB_PORT
# (default 54339), PGB_POOL (server connections per database, default 20),
# PGB_UPSTREAM (host:port of PostgreSQL, default 127.0.0.1:54329).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)/.pg
if [ -L "$ROOT" ]; then ROOT=$(readlink -f "$ROOT"); fi
DIR=${PGB_DIR:-$ROOT/pgbouncer}
PORT=${PGB_PORT:-54339}
POOL=${PGB_POOL:-20}
UPSTREAM=${PGB_UPSTREAM:-127.0.0.1:${PGPORT:-54329}}
URL="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"

find_bin() { command -v pgbouncer 2>/dev/null || { [ -x /usr/sbin/pgbouncer ] && echo /usr/sbin/pgbouncer; } || true; }

install() {
  [ -n "$(find_bin)" ] && return
  echo "pgbouncer: installing PgBouncer with apt" >&2
  "$(dirname "$0")/apt.sh" pgbouncer
  # The package enables a system service; this one runs on its own.
  if command -v service >/dev/null; then service pgbouncer stop >/dev/null 2>&1 || true; fi
}

# PgBouncer refuses to run as root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

running() { [ -s "$DIR/pgbouncer.pid" ] && kill -0 "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null; }

case "${1:-start}" in
start)
  install
  BIN=$(find_bin)
  [ -n "$BIN" ] || { echo "pgbouncer: not installed and apt could not install it" >&2; exit 1; }
  if ! running; then
    mkdir -p "$DIR"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"; fi
    # Tests and development only: no passwords, loopback only.
    echo '"postgres" ""' >"$DIR/userlist.txt"
    cat >"$DIR/pgbouncer.ini" <<INI
[databases]
* = host=${UPSTREAM%:*} port=${UPSTREAM##*:}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $DIR/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = $POOL
reserve_pool_size = 0
max_client_conn = 900
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
INI
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"/*; fi
    as_pg "$BIN" -d -q "$DIR/pgbouncer.ini"
    for _ in $(seq 50); do running && break; sleep 0.1; done
    running || { echo "pgbouncer: did not start; see $DIR/pgbouncer.log" >&2; exit 1; }
  fi
  echo "$URL";;
stop)
  if running; then kill "$(cat "$DIR/pgbouncer.pid")"; fi
  echo "pgbouncer: stopped" >&2;;
url) echo "$URL";;
install) install;;
*) echo "usage: $0 start|stop|url|install" >&2; exit 2;;
esac
