#!/usr/bin/env bash
# make prod-smoke: the production configuration, run for real on this one machine, no containers.
#
# With the machine's PostgreSQL and Redis and APP_MODE=production: a fresh database, the deploy
# check, migrations and collectstatic, the units of one province and three officers, then two
# uvicorn listeners (one with two workers), a Celery worker, Celery beat and a local SMTP sink.
# deploy/smoke.py then drives a plan through submission and acceptance over HTTP and websockets,
# waits for a real reminder from beat's sweep and checks probes, headers and metrics. Last, a
# backup is taken and restored into an empty database, which must pass the restore check.
#
# TLS: nginx is not in the loop. Requests go to uvicorn with X-Forwarded-Proto: https, as nginx
# sends them (uvicorn --proxy-headers trusts 127.0.0.1; BEHIND_TLS_PROXY=true).
#
# Every process started here is stopped on exit (trap); on failure the logs' tails are printed.
# Environment: SMOKE_DB (ctmtqg_smoke), SMOKE_PG (postgres://postgres@127.0.0.1:5432),
# SMOKE_REDIS_DB (14), SMOKE_KEEP=1 keeps the work folder, DJANGO_SETTINGS_MODULE.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
PG=${SMOKE_PG:-postgres://postgres@127.0.0.1:5432}
DB=${SMOKE_DB:-ctmtqg_smoke}
RESTORE_DB=${DB}_restore
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ctmtqg-smoke.XXXXXX")
LOGS=$WORK/logs
mkdir -p "$LOGS" "$WORK/prometheus" "$WORK/mail" "$WORK/backups"
STARTED=$SECONDS
PIDS=()
NAMES=()

say() { printf '\n=== %s (t=%ss)\n' "$*" "$((SECONDS - STARTED))"; }

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME COMMAND...: run in the background, output to $LOGS/NAME.log, remember the pid.
start() {
  local name=$1
  shift
  "$@" >"$LOGS/$name.log" 2>&1 &
  PIDS+=("$!")
  NAMES+=("$name")
}

stop_all() {
  local status=$?
  local i pid
  for i in "${!PIDS[@]}"; do
    pid=${PIDS[$i]}
    kill -TERM "$pid" 2>/dev/null || true
  done
  for i in "${!PIDS[@]}"; do
    pid=${PIDS[$i]}
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "process ${NAMES[$i]} ($pid) ignored TERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if [ "$status" -ne 0 ]; then
    echo >&2
    echo "prod-smoke FAILED (exit $status). Logs in $LOGS:" >&2
    for log in "$LOGS"/*.log; do
      [ -e "$log" ] || continue
      printf '\n----- %s (last 40 lines)\n' "$(basename "$log")" >&2
      tail -n 40 "$log" >&2
    done
  elif [ "${SMOKE_KEEP:-0}" = 1 ]; then
    echo "work folder kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap stop_all EXIT

# wait_http URL SECONDS: until the URL answers 200, or fail.
wait_http() {
  local url=$1 limit=$2
  for _ in $(seq $((limit * 4))); do
    if "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$url" 2>/dev/null; then
      return 0
    fi
    sleep 0.25
  done
  echo "no answer from $url within ${limit}s" >&2
  return 1
}

# check --deploy must report nothing. SMOKE_WAIVE_CHECKS="id1 id2" lets named warnings pass,
# loudly, for a known issue being fixed elsewhere; any other warning or error still fails.
deploy_check() {
  local out ids id
  if out=$("$PY" manage.py check --deploy --fail-level WARNING 2>&1); then
    echo "$out"
    return 0
  fi
  echo "$out"
  ids=$(grep -oE '\([a-z_]+\.[A-Z][0-9]+\)' <<<"$out" | tr -d '()' | sort -u)
  [ -n "${SMOKE_WAIVE_CHECKS:-}" ] && [ -n "$ids" ] || return 1
  for id in $ids; do
    [[ " $SMOKE_WAIVE_CHECKS " == *" $id "* ]] || { echo "deploy check $id is not waived" >&2; return 1; }
  done
  echo "WARNING: check --deploy passed only by waiving: $ids (SMOKE_WAIVE_CHECKS)" >&2
}

say "services and settings"
pg_isready -d "$PG/postgres" -q || { echo "PostgreSQL is not answering at $PG" >&2; exit 1; }
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }

WEB1=$(free_port)
WEB2=$(free_port)
SMTP=$(free_port)
export APP_MODE=production
export DEBUG=false
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY
export DATABASE_URL="$PG/$DB"
export REDIS_URL="redis://127.0.0.1:6379/${SMOKE_REDIS_DB:-14}"
export ALLOWED_HOSTS=127.0.0.1,localhost
export EMAIL_URL="smtp://127.0.0.1:$SMTP"
export DEFAULT_FROM_EMAIL=ctmtqg-smoke@localhost
export SITE_URL=https://127.0.0.1
export BEHIND_TLS_PROXY=true
export STATIC_ROOT=$WORK/static
export SCHEDULER_INTERVAL_SECONDS=3
export PROMETHEUS_MULTIPROC_DIR=$WORK/prometheus
METRICS_TOKEN=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(24))')
export METRICS_TOKEN
export LOG_FORMAT=json
export LOG_LEVEL=INFO
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings}
echo "settings: $DJANGO_SETTINGS_MODULE, database: $DB, redis: $REDIS_URL, work: $WORK"
if ! "$PY" -c 'import django; django.setup(); from django.conf import settings; assert "ops" in settings.INSTALLED_APPS'; then
  echo "the ops app is not wired into $DJANGO_SETTINGS_MODULE (see deploy/README.md, 'Wiring the ops app')" >&2
  exit 1
fi

say "fresh database $DB, empty Redis database"
psql -q -d "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
redis-cli -u "$REDIS_URL" flushdb >/dev/null

say "check --deploy, migrate, collectstatic (production settings)"
deploy_check
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py collectstatic --noinput -v0

say "units of one province, catalogue, cycle and three officers"
"$PY" manage.py load_units two-tier --province 12 --with-agencies
umask 077
"$PY" deploy/smoke.py bootstrap >"$WORK/officers.json"
umask 022

say "start: smtp sink, web 1 (uvicorn, 2 workers), web 2 (uvicorn), celery worker, celery beat, nginx"
UVICORN=(-m uvicorn config.asgi:application --host 127.0.0.1 --proxy-headers --forwarded-allow-ips 127.0.0.1
  --no-access-log --log-config deploy/uvicorn-logging.json --lifespan off)
start smtp "$PY" deploy/smoke.py smtp-sink --port "$SMTP" --dir "$WORK/mail"
start web1 "$PY" "${UVICORN[@]}" --port "$WEB1" --workers 2
start web2 "$PY" "${UVICORN[@]}" --port "$WEB2"
start worker "$PY" -m celery -A config worker --loglevel INFO --concurrency 2 --hostname "smoke@%h"
start beat "$PY" -m celery -A config beat --loglevel INFO --schedule "$WORK/celerybeat-schedule"
# nginx in front (optional: when nginx and openssl are installed): the real deploy/nginx/ctmtqg.conf
# with a self-signed certificate, local ports and both listeners as its upstream.
NGINX_ARGS=()
if command -v nginx >/dev/null && command -v openssl >/dev/null && [ "${SMOKE_NGINX:-1}" = 1 ]; then
  NGX_HTTP=$(free_port)
  NGX_HTTPS=$(free_port)
  NGX=$WORK/nginx
  mkdir -p "$NGX/logs"
  chmod 755 "$WORK" # nginx's workers run as an unprivileged user and read STATIC_ROOT
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$NGX/privkey.pem" -out "$NGX/fullchain.pem" 2>/dev/null
  sed -e "s#server web:8000;#server 127.0.0.1:$WEB1; server 127.0.0.1:$WEB2;#" \
    -e "s#listen 80;#listen 127.0.0.1:$NGX_HTTP;#" -e "s#listen 443 ssl;#listen 127.0.0.1:$NGX_HTTPS ssl;#" \
    -e '/listen \[::\]/d' -e '/http2 on;/d' \
    -e "s#/etc/nginx/certs#$NGX#" -e "s#/var/log/nginx#$NGX/logs#" -e "s#/srv/ctmtqg/static/#$STATIC_ROOT/#" \
    deploy/nginx/ctmtqg.conf >"$NGX/ctmtqg.conf"
  printf 'pid %s/nginx.pid;\nerror_log %s/logs/error.log;\nevents {}\nhttp { include /etc/nginx/mime.types; include %s/ctmtqg.conf; }\n' \
    "$NGX" "$NGX" "$NGX" >"$NGX/nginx.conf"
  nginx -t -q -c "$NGX/nginx.conf" -p "$NGX"
  start nginx nginx -c "$NGX/nginx.conf" -p "$NGX" -g "daemon off;"
  NGINX_ARGS=(--nginx-http "$NGX_HTTP" --nginx-https "$NGX_HTTPS")
else
  echo "nginx or openssl not installed (or SMOKE_NGINX=0): skipping the leg through nginx"
fi
wait_http "http://127.0.0.1:$WEB1/readyz?strict=1" 60
wait_http "http://127.0.0.1:$WEB2/readyz?strict=1" 60
for _ in $(seq 60); do
  "$PY" -m celery -A config inspect ping --timeout 1 >/dev/null 2>&1 && break
  sleep 1
done
"$PY" -m celery -A config inspect ping --timeout 2 >/dev/null
for i in "${!PIDS[@]}"; do
  kill -0 "${PIDS[$i]}" || { echo "process ${NAMES[$i]} died at start" >&2; exit 1; }
done
echo "all processes up"

say "scenario"
"$PY" deploy/smoke.py scenario --web1 "$WEB1" --web2 "$WEB2" --officers "$WORK/officers.json" \
  --mail-dir "$WORK/mail" --static-root "$STATIC_ROOT" --web-log "$LOGS/web1.log" --metrics-token "$METRICS_TOKEN" \
  "${NGINX_ARGS[@]}"

say "backup, then restore into an empty database and check it"
BACKUP_DIR=$WORK/backups deploy/backup.sh
DUMP=$(find "$WORK/backups" -name 'ctmtqg-*.dump' | sort | tail -n 1)
psql -q -d "$PG/postgres" -c "DROP DATABASE IF EXISTS $RESTORE_DB WITH (FORCE)" -c "CREATE DATABASE $RESTORE_DB"
deploy/restore.sh "$DUMP" "$PG/$RESTORE_DB"

say "prod-smoke passed in $((SECONDS - STARTED)) s"
