# CTMTQG's two database roles (deploy/roles.sql), made when the postgres image initialises an
# empty data volume: mounted into /docker-entrypoint-initdb.d/ by deploy/compose.yaml, which also
# mounts roles.sql and grants.sql into /ctmtqg/ and the two passwords as secrets. The entry point
# sources this file (no `set -e` here: its own shell options apply), connected as POSTGRES_USER
# over the local socket. The passwords are read by psql itself, never put on a command line.
#
# On a data volume initialised before, run it by hand as that volume's superuser:
#   docker compose -f deploy/compose.yaml exec -e POSTGRES_USER=ctmtqg db sh /docker-entrypoint-initdb.d/10-ctmtqg-roles.sh
psql -X -q -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-ctmtqg}" \
  -v owner="${CTMTQG_OWNER_ROLE:-ctmtqg_owner}" -v app="${CTMTQG_APP_ROLE:-ctmtqg_app}" <<'SQL'
\set owner_password `cat /run/secrets/db_owner_password`
\set app_password `cat /run/secrets/db_app_password`
\i /ctmtqg/roles.sql
SQL
