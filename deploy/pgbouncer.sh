#!/usr/bin/env bash
# PgBouncer (Debian's `pgbouncer` package) in transaction mode in front of the local primary.
#
#   deploy/pgbouncer.sh up       # write the configuration, start it in the background
#   deploy/pgbouncer.sh down     # stop it
#   deploy/pgbouncer.sh status   # running?, its pools (SHOW POOLS)
#
# Settings (environment):
#   PRIMARY_HOST/PRIMARY_PORT   127.0.0.1 / 5432
#   PGBOUNCER_PORT              6432
#   PGBOUNCER_DIR               /var/run/ctmtqg-pgbouncer-$PGBOUNCER_PORT (configuration, pid, log, socket)
#   PGBOUNCER_POOL_SIZE         20 server connections per database and role (≈ 2-4 × the primary's cores,
#                               plus headroom for the web workers' burst; see deploy/README.md)
#   PGBOUNCER_AUTH              trust (this machine and CI: the primary trusts 127.0.0.1 already);
#                               scram-sha-256 in production, with PGBOUNCER_USERLIST naming the
#                               auth_file of the application role ("role" "SCRAM-SHA-256$…" lines)
#
# The application then connects to PgBouncer with DB_BEHIND_PGBOUNCER=true (config/settings.py:
# no server-side cursors, no prepared statements, no pool or persistent connections of its own):
#   DATABASE_URL=postgres://ctmtqg_app:…@127.0.0.1:6432/ctmtqg DB_BEHIND_PGBOUNCER=true
# Migrations and backups connect to PostgreSQL directly (DATABASE_OWNER_URL).
set -euo pipefail

PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PGBOUNCER_PORT=${PGBOUNCER_PORT:-6432}
PGBOUNCER_DIR=${PGBOUNCER_DIR:-/var/run/ctmtqg-pgbouncer-$PGBOUNCER_PORT}
PGBOUNCER_POOL_SIZE=${PGBOUNCER_POOL_SIZE:-20}
PGBOUNCER_AUTH=${PGBOUNCER_AUTH:-trust}
PGBOUNCER_USERLIST=${PGBOUNCER_USERLIST:-}
PGBOUNCER_BIN=${PGBOUNCER_BIN:-$(command -v pgbouncer || echo /usr/sbin/pgbouncer)}

# PgBouncer refuses to run as root: run it as postgres, as Debian's service does.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pid() { [ -f "$PGBOUNCER_DIR/pgbouncer.pid" ] && cat "$PGBOUNCER_DIR/pgbouncer.pid"; }
is_running() { local p; p=$(pid) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

up() {
  if [ ! -x "$PGBOUNCER_BIN" ]; then
    echo "pgbouncer: not installed (Debian: apt-get install -y pgbouncer)" >&2
    exit 1
  fi
  if is_running; then echo "pgbouncer: already running on port $PGBOUNCER_PORT"; return; fi
  mkdir -p "$PGBOUNCER_DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGBOUNCER_DIR"
  chmod 700 "$PGBOUNCER_DIR"
  local userlist="$PGBOUNCER_DIR/userlist.txt"
  if [ -n "$PGBOUNCER_USERLIST" ]; then
    userlist=$PGBOUNCER_USERLIST
  else
    as_pg tee "$userlist" >/dev/null <<<'"postgres" ""'
  fi
  as_pg tee "$PGBOUNCER_DIR/pgbouncer.ini" >/dev/null <<INI
[databases]
; every database of the primary, under its own name
* = host=$PRIMARY_HOST port=$PRIMARY_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir = $PGBOUNCER_DIR
pidfile = $PGBOUNCER_DIR/pgbouncer.pid
logfile = $PGBOUNCER_DIR/pgbouncer.log
auth_type = $PGBOUNCER_AUTH
auth_file = $userlist
admin_users = postgres
stats_users = postgres
; a server connection serves one client transaction at a time, then the next client's
pool_mode = transaction
default_pool_size = $PGBOUNCER_POOL_SIZE
min_pool_size = 0
reserve_pool_size = 5
reserve_pool_timeout = 2
max_client_conn = 2000
server_idle_timeout = 60
; psycopg may send this startup parameter; it is safe to ignore
ignore_startup_parameters = extra_float_digits
INI
  as_pg "$PGBOUNCER_BIN" -d "$PGBOUNCER_DIR/pgbouncer.ini"
  for _ in $(seq 50); do
    psql -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U postgres -d pgbouncer -XAtqc "SHOW VERSION" >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "pgbouncer: transaction pooling on 127.0.0.1:$PGBOUNCER_PORT → $PRIMARY_HOST:$PRIMARY_PORT ($PGBOUNCER_DIR)"
}

down() {
  if is_running; then
    local p
    p=$(pid)
    kill -INT "$p"  # SIGINT: immediate shutdown (clients get an error, as on a restart)
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    echo "pgbouncer: stopped"
  else
    echo "pgbouncer: not running"
  fi
}

status() {
  if ! is_running; then echo "pgbouncer: not running"; return 3; fi
  echo "pgbouncer: running on port $PGBOUNCER_PORT (pid $(pid))"
  psql -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U postgres -d pgbouncer -Xc "SHOW POOLS"
}

case "${1:-}" in
  up) up ;;
  down | stop) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
