#!/usr/bin/env bash
# Restore a backup into an EMPTY database, give it back to the two roles, then check it.
#
#   deploy/restore.sh [--owner ROLE] [--app ROLE] BACKUP.dump postgres://postgres@host:5432/new_database
#
# Connect as a superuser (roles.sql needs one). pg_restore --no-owner --no-privileges: a dump
# from one server restores on another whose roles differ, and everything first belongs to the
# restoring superuser. deploy/roles.sql then makes ROLE of --owner (DB_OWNER_ROLE, default
# ctmtqg_owner) the owner of the database and of every table, sequence and function, and gives
# --app (DB_APP_ROLE, default ctmtqg_app) the application's grants: without that step the
# application gets "permission denied for table planning_plan" and `migrate` cannot run. Roles
# missing on this server are created without a password (set one: psql's \password ROLE).
# The target must have no tables (the script refuses otherwise): restoring over live data is
# never what an operator means at 3 a.m.
#
# The check (deploy/check.sql: row counts and one plan's totals) runs on the restored database
# AS THE APPLICATION ROLE (SET ROLE), so it also proves that role can read what it needs, and
# must equal the one backup.sh recorded in the same snapshot (BACKUP.check.json beside the
# dump); the script exits non-zero when they differ. Without a recorded check it only prints.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

owner=${DB_OWNER_ROLE:-ctmtqg_owner}
app=${DB_APP_ROLE:-ctmtqg_app}
while [ $# -gt 0 ]; do
  case $1 in
    --owner) owner=$2; shift 2 ;;
    --app) app=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [ $# -ne 2 ]; then
  echo "usage: $0 [--owner ROLE] [--app ROLE] BACKUP.dump TARGET_DATABASE_URL" >&2
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
psql -d "$target" -qX -v ON_ERROR_STOP=1 -v owner="$owner" -v app="$app" -f "$HERE/roles.sql"
psql -d "$target" -qX -v ON_ERROR_STOP=1 -c "ANALYZE"
echo "restored $dump in $((SECONDS - started)) s; owner $owner, application role $app"

restored=$(psql -d "$target" -qAtX -v ON_ERROR_STOP=1 -c "SET ROLE \"${app//\"/\"\"}\"" -f "$HERE/check.sql")
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
