"""Structured logs: one JSON object per line, each carrying the request id.

``RequestIDFilter`` stamps every record with ``request_id`` (from ``ops.context``) and, inside a
Celery task, ``task``/``task_id``; attach it to the handler so records of every logger get it.
``JSONFormatter`` writes the record's standard fields, those stamps, anything passed in
``extra=`` and the traceback. It is hand-written (about forty lines) because the project needs
no more than that, and it imports nothing from Django so uvicorn's own ``--log-config`` can use
it before Django starts.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

from ops.context import current_request_id

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class RequestIDFilter(logging.Filter):
    """Adds ``request_id`` (``"-"`` outside a request) and the running Celery task, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id() or "-"
        celery_task = _current_celery_task()
        if celery_task is not None and not hasattr(record, "task"):
            record.task = celery_task.name
            record.task_id = celery_task.request.id
        return True


def _current_celery_task():
    # Only when Celery is already imported: the filter must not import it into uvicorn.
    celery = sys.modules.get("celery")
    if celery is None:
        return None
    task = celery.current_task  # a proxy: false when no task runs
    return task if task and getattr(task.request, "id", None) else None


class JSONFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...extra, "exc_info"}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
