"""The request id of the work in progress, shared by the middleware, the log filter and Celery.

A ``ContextVar`` rather than a thread-local: under ASGI one thread serves many requests in turn
and asgiref copies the context into the thread that runs sync code, so the id follows the
request across ``sync_to_async`` hops and never leaks into the next request.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

# Long enough for a UUID with dashes or a trace id, short enough for AuditEvent.request_id (64).
# Only characters that cannot break a log line, a header or a CSV export.
_WELL_FORMED = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{7,63}\Z")

request_id_var: ContextVar[str] = ContextVar("request_id", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex


def is_well_formed(value: str) -> bool:
    return bool(_WELL_FORMED.match(value))


def accept_or_new(incoming: str | None) -> str:
    """The caller's id when it is well formed (so a proxy's or client's id links the logs),
    else a fresh one: a malformed header is never stored in the audit trail."""
    if incoming and is_well_formed(incoming):
        return incoming
    return new_request_id()


def current_request_id() -> str:
    """The validated id of the work in progress (request or task); "" outside both.

    The one source of a request id for anything stored: never read ``X-Request-ID`` yourself,
    and never pass the id down as a parameter (``approvals.services.audit_record`` reads it
    here, for the web pages, the API, the jobs and the commands alike)."""
    return request_id_var.get()
