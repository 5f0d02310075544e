#!/usr/bin/env bash
# Nightly logical backup: pg_dump -Fc into BACKUP_DIR as ctmtqg-<UTC time>.dump, with the
# restore check (deploy/check.sql) taken in the SAME snapshot as <name>.check.json, then drop
# files older than BACKUP_KEEP_DAYS.
#
# Why the shared snapshot: the check (row counts, one plan's totals) is what restore.sh compares
# a restored database against. Run separately it could see rows committed after the dump began
# and a correct restore would then "fail". A REPEATABLE READ transaction exports its snapshot,
# pg_dump --snapshot reads exactly that, and the check runs in the same transaction afterwards.
#
# Logical dumps are the portable, testable copy; point-in-time recovery needs WAL archiving as
# well (deploy/postgres/wal-archiving.conf and deploy/README.md, "Backups").
#
# Environment: DATABASE_OWNER_URL or DATABASE_OWNER_URL_FILE when set, else DATABASE_URL or
# DATABASE_URL_FILE (a libpq URL: postgres://user@host:5432/db), BACKUP_DIR (/var/backups/ctmtqg),
# BACKUP_KEEP_DAYS (14). The owner's URL is preferred: it connects to PostgreSQL directly (the
# application's may go through PgBouncer, where pg_dump's session settings do not hold) and reads
# every table even if a grant were missing; the application role's SELECT also suffices.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

if [ -n "${DATABASE_OWNER_URL_FILE:-}" ]; then
  DATABASE_OWNER_URL=$(<"$DATABASE_OWNER_URL_FILE")
fi
if [ -n "${DATABASE_URL_FILE:-}" ]; then
  DATABASE_URL=$(<"$DATABASE_URL_FILE")
fi
DATABASE_URL=${DATABASE_OWNER_URL:-${DATABASE_URL:-}}
: "${DATABASE_URL:?set DATABASE_OWNER_URL or DATABASE_URL (or their _FILE)}"
BACKUP_DIR=${BACKUP_DIR:-/var/backups/ctmtqg}
KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}

name=ctmtqg-$(date -u +%Y%m%dT%H%M%SZ)
partial=$BACKUP_DIR/.$name.partial
mkdir -p "$BACKUP_DIR"
umask 077 # dumps hold personal data (officers, households)

snapshot_pid=
cleanup() {
  rm -f "$partial.dump" "$partial.check.json"
  if [ -n "$snapshot_pid" ]; then kill "$snapshot_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

coproc SNAPSHOT { psql -d "$DATABASE_URL" -qAtX -v ON_ERROR_STOP=1; }
# shellcheck disable=SC2153 # SNAPSHOT_PID is set by coproc
snapshot_pid=$SNAPSHOT_PID
printf '%s\n' "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;" "SELECT pg_export_snapshot();" >&"${SNAPSHOT[1]}"
read -r -t 30 snapshot <&"${SNAPSHOT[0]}"

started=$SECONDS
pg_dump -d "$DATABASE_URL" --format=custom --snapshot="$snapshot" --file="$partial.dump"
cat "$HERE/check.sql" >&"${SNAPSHOT[1]}"
read -r -t 300 check <&"${SNAPSHOT[0]}"
printf '%s\n' "COMMIT;" '\q' >&"${SNAPSHOT[1]}"
wait "$snapshot_pid"
snapshot_pid=

printf '%s\n' "$check" >"$partial.check.json"
mv "$partial.check.json" "$BACKUP_DIR/$name.check.json"
# The dump appears under its final name last: a .dump file is always complete.
mv "$partial.dump" "$BACKUP_DIR/$name.dump"
echo "backup: $BACKUP_DIR/$name.dump ($(du -h "$BACKUP_DIR/$name.dump" | cut -f1), $((SECONDS - started)) s)"
echo "check:  $check"

find "$BACKUP_DIR" -maxdepth 1 -type f -name 'ctmtqg-*' -mtime +"$KEEP_DAYS" -print -delete |
  sed 's/^/expired: /'
