"""Carry the request id from the request that enqueued a Celery task into that task.

The id travels as a message header (``before_task_publish``) and is put back into
``ops.context`` while the task runs (``task_prerun``/``task_postrun``), so the e-mail sent for an
approval logs the same ``request_id`` as the approval itself and the audit row. Scheduled tasks
started by beat get a fresh id of their own, so each run's lines can be grouped too.
"""

from __future__ import annotations

from contextvars import Token
from typing import Any

from celery import signals

from ops.context import current_request_id, new_request_id, request_id_var

HEADER = "request_id"
_tokens: dict[str, Token[str]] = {}


def _on_publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = current_request_id()
    if headers is not None and request_id and HEADER not in headers:
        headers[HEADER] = request_id


def _on_prerun(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    incoming = getattr(task.request, HEADER, None) if task is not None else None
    if task_id:
        # Eager tasks (demo, tests) run inside the request: they keep its id.
        _tokens[task_id] = request_id_var.set(incoming or current_request_id() or new_request_id())


def _on_postrun(task_id: str | None = None, **kwargs: Any) -> None:
    token = _tokens.pop(task_id, None) if task_id else None
    if token is not None:
        request_id_var.reset(token)


def connect() -> None:
    # weak=False: the handlers are module functions, kept alive anyway; dispatch_uid makes a
    # second ready() (tests) a no-op.
    signals.before_task_publish.connect(_on_publish, weak=False, dispatch_uid="ops-request-id-publish")
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="ops-request-id-prerun")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="ops-request-id-postrun")
