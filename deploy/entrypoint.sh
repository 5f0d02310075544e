#!/bin/sh
# Container entry point: start every process with an empty Prometheus multiprocess folder (the
# counters of a previous container's processes must not be summed into this one's), then run
# the command (uvicorn, celery, manage.py ...).
set -eu
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  rm -rf "$PROMETHEUS_MULTIPROC_DIR"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi
exec "$@"
