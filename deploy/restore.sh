#!/usr/bin/env bash
# Restore a backup into an EMPTY database, then check it.
#
#   deploy/restore.sh BACKUP.dump postgres://user@host:5432/new_database
#
# pg_restore --no-owner --no-privileges: the objects belong to whoever restores, so a dump from
# one server restores on another whose roles differ. The target must have no tables (the script
# refuses otherwise): restoring over live data is never what an operator means at 3 a.m.
#
# The check (deploy/check.sql: row counts and one plan's totals) runs on the restored database
# and must equal the one backup.sh recorded in the same snapshot (BACKUP.check.json beside the
# dump); the script exits non-zero when they differ. Without a recorded check it only prints.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

if [ $# -ne 2 ]; then
  echo "usage: $0 BACKUP.dump TARGET_DATABASE_URL" >&2
  exit 2
fi
dump=$1
target=$2
[ -r "$dump" ] || { echo "cannot read $dump" >&2; exit 2; }

tables=$(psql -d "$target" -qAtX -v ON_ERROR_STOP=1 \
  -c "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
if [ "$tables" != 0 ]; then
  echo "refusing: the target database already has $tables table(s); restore into an empty one" >&2
  exit 1
fi

started=$SECONDS
pg_restore --dbname="$target" --no-owner --no-privileges --exit-on-error --jobs="${RESTORE_JOBS:-2}" "$dump"
psql -d "$target" -qX -v ON_ERROR_STOP=1 -c "ANALYZE"
echo "restored $dump in $((SECONDS - started)) s"

restored=$(psql -d "$target" -qAtX -v ON_ERROR_STOP=1 -f "$HERE/check.sql")
echo "restored: $restored"
recorded_file=${dump%.dump}.check.json
if [ ! -r "$recorded_file" ]; then
  echo "no recorded check beside the dump ($recorded_file): compare the numbers above by hand"
  exit 0
fi
recorded=$(<"$recorded_file")
echo "recorded: $recorded"
if [ "$restored" != "$recorded" ]; then
  echo "RESTORE CHECK FAILED: the restored database differs from the backup's recorded check" >&2
  exit 1
fi
echo "restore check passed: counts and plan totals equal the backup's"
