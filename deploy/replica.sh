#!/usr/bin/env bash
# A PostgreSQL streaming replica of the local primary, on this machine (another port, its own
# data directory): made with `pg_basebackup -R`, started and stopped with pg_ctl.
#
#   deploy/replica.sh up       # prepare the primary (idempotent), base backup if needed, start
#   deploy/replica.sh down     # stop; the data directory stays (the next `up` starts it again)
#   deploy/replica.sh remove   # stop and delete the data directory
#   deploy/replica.sh status   # running?, in recovery?, lag in seconds
#
# Settings (environment):
#   PRIMARY_HOST/PRIMARY_PORT/PRIMARY_USER   127.0.0.1 / 5432 / postgres (a superuser: it may
#                                            need to reload the primary's pg_hba.conf)
#   REPLICA_PORT                             5433
#   REPLICA_DIR                              /var/lib/postgresql/ctmtqg-replica-$REPLICA_PORT
#   PG_BIN                                   the primary's server binaries (pg_config --bindir)
#
# The primary needs wal_level >= replica and max_wal_senders > 0 (PostgreSQL 15's defaults:
# `up` checks, and says what to change rather than restarting a primary it did not start), and a
# pg_hba.conf line that admits replication connections from 127.0.0.1: `up` puts
#   host replication all 127.0.0.1/32 trust   # ctmtqg-replica
# first in it, once (only when the primary already trusts 127.0.0.1 for everything else, as the
# development and CI machines do), and reloads. Run as root (CI) it acts as the `postgres` user.
set -euo pipefail

PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PRIMARY_USER=${PRIMARY_USER:-postgres}
REPLICA_PORT=${REPLICA_PORT:-5433}
REPLICA_DIR=${REPLICA_DIR:-/var/lib/postgresql/ctmtqg-replica-$REPLICA_PORT}
MARK="# ctmtqg-replica"

psql_primary() { psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" -d postgres -XAtq "$@"; }
psql_replica() { psql -h 127.0.0.1 -p "$REPLICA_PORT" -U "$PRIMARY_USER" -d postgres -XAtq "$@"; }

# pg_ctl refuses to run as root: act as the data directory's owner.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local version
  version=$(psql_primary -c "SELECT current_setting('server_version_num')::int / 10000")
  if [ -x "/usr/lib/postgresql/$version/bin/pg_ctl" ]; then echo "/usr/lib/postgresql/$version/bin"
  else dirname "$(command -v pg_ctl)"; fi
}

prepare_primary() {
  local wal_level senders hba
  wal_level=$(psql_primary -c "SHOW wal_level")
  senders=$(psql_primary -c "SHOW max_wal_senders")
  if [ "$wal_level" = minimal ] || [ "$senders" = 0 ]; then
    echo "replica: the primary has wal_level=$wal_level, max_wal_senders=$senders;" \
      "set wal_level=replica and max_wal_senders=10 and restart it" >&2
    exit 1
  fi
  # Already admitted? (a replication connection answers IDENTIFY_SYSTEM)
  if psql "host=$PRIMARY_HOST port=$PRIMARY_PORT user=$PRIMARY_USER replication=true" -XAtqc "IDENTIFY_SYSTEM" \
    >/dev/null 2>&1; then
    return
  fi
  hba=$(psql_primary -c "SHOW hba_file")
  if [ ! -w "$hba" ] && [ "$(id -u)" != 0 ]; then
    echo "replica: replication connections are refused and $hba is not writable here;" \
      "add: host replication all 127.0.0.1/32 trust" >&2
    exit 1
  fi
  if ! grep -qE '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
    echo "replica: $hba does not trust 127.0.0.1, so this script adds no trust line for replication;" \
      "add a 'host replication <role> <address> scram-sha-256' line and a password (~/.pgpass)" >&2
    exit 1
  fi
  if ! grep -qF "$MARK" "$hba"; then
    # First, so it wins over Debian's default `host replication all 127.0.0.1/32 scram-sha-256`.
    local tmp
    tmp=$(mktemp)
    { printf 'host replication all 127.0.0.1/32 trust   %s\n' "$MARK"; cat "$hba"; } >"$tmp"
    cat "$tmp" >"$hba"   # keeps the file's owner and mode
    rm -f "$tmp"
  fi
  psql_primary -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
}

is_running() { [ -f "$REPLICA_DIR/postmaster.pid" ] && as_pg "$(pg_bin)/pg_ctl" -D "$REPLICA_DIR" status >/dev/null 2>&1; }

up() {
  prepare_primary
  local bin
  bin=$(pg_bin)
  if is_running; then echo "replica: already running on port $REPLICA_PORT"; return; fi
  if [ ! -f "$REPLICA_DIR/standby.signal" ]; then
    rm -rf "$REPLICA_DIR"
    mkdir -p "$REPLICA_DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$REPLICA_DIR"
    chmod 700 "$REPLICA_DIR"
    # -R writes primary_conninfo and standby.signal; -X stream: consistent without an archive.
    as_pg "$bin/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" \
      -D "$REPLICA_DIR" -R -X stream -c fast --no-sync
    # Debian keeps the primary's configuration outside its data directory: give the copy its own.
    as_pg tee "$REPLICA_DIR/pg_hba.conf" >/dev/null <<HBA
local all all trust
host all all 127.0.0.1/32 trust
HBA
    as_pg tee "$REPLICA_DIR/postgresql.conf" >/dev/null <<CONF
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$REPLICA_DIR'
hot_standby = on
hot_standby_feedback = on
max_connections = 100
shared_buffers = 128MB
fsync = on
logging_collector = off
CONF
  fi
  as_pg "$bin/pg_ctl" -D "$REPLICA_DIR" -l "$REPLICA_DIR/replica.log" -w -t 60 start >/dev/null
  for _ in $(seq 60); do
    [ "$(psql_replica -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ] && break
    sleep 0.5
  done
  echo "replica: streaming from $PRIMARY_HOST:$PRIMARY_PORT on 127.0.0.1:$REPLICA_PORT ($REPLICA_DIR)"
}

down() {
  if is_running; then
    as_pg "$(pg_bin)/pg_ctl" -D "$REPLICA_DIR" -m fast -w stop >/dev/null
    echo "replica: stopped"
  else
    echo "replica: not running"
  fi
}

status() {
  if ! is_running; then echo "replica: not running"; return 3; fi
  psql_replica -F ' ' -c "SELECT 'replica: running, in recovery=' || pg_is_in_recovery(),
    'lag_seconds=' || CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
      ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), -1)::int END"
}

case "${1:-}" in
  up) up ;;
  down | stop) down ;;
  remove)
    down
    rm -rf "$REPLICA_DIR"
    echo "replica: removed $REPLICA_DIR"
    ;;
  status) status ;;
  *) echo "usage: $0 up|down|remove|status" >&2; exit 2 ;;
esac
