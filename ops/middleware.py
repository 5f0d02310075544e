"""Per-request observability: the request id, one access-log line, and the request metrics.

Both classes work in sync and async chains (uvicorn runs Django under ASGI), so they add no
thread hop of their own. Put ``RequestIDMiddleware`` first in MIDDLEWARE so every later
middleware, view, log line and audit row sees the id, and ``MetricsMiddleware`` right after it
so redirects and errors from the rest of the chain are counted too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from ops import metrics
from ops.context import accept_or_new, request_id_var

HEADER = "X-Request-ID"
# Probes and scrapes arrive every few seconds from every checker: not counted, logged at DEBUG.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

access_log = logging.getLogger("ops.access")


class _Wrapping:
    """Calls ``before``/``after`` around the rest of the chain, in whichever mode it runs."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        state = self.before(request)
        try:
            response = self.get_response(request)
            return self.after(request, response, state)
        finally:
            self.cleanup(state)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        state = self.before(request)
        try:
            response = await self.get_response(request)
            return self.after(request, response, state)
        finally:
            self.cleanup(state)

    def before(self, request: HttpRequest) -> Any:
        raise NotImplementedError

    def after(self, request: HttpRequest, response: HttpResponse, state: Any) -> HttpResponse:
        raise NotImplementedError

    def cleanup(self, state: Any) -> None:
        pass


class RequestIDMiddleware(_Wrapping):
    """Sets ``request.request_id`` (the caller's X-Request-ID when well formed, else a new one),
    makes it the log context, echoes it in the response and writes the access-log line.

    Accepting the caller's id lets nginx (``$request_id``) or a client link its own logs to
    ours; an id that is not well formed is replaced, never stored in the audit trail.
    """

    def before(self, request: HttpRequest) -> Any:
        request.request_id = accept_or_new(request.headers.get(HEADER))
        return request_id_var.set(request.request_id), time.perf_counter()

    def after(self, request: HttpRequest, response: HttpResponse, state: Any) -> HttpResponse:
        _token, started = state
        response[HEADER] = request.request_id
        level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
        if access_log.isEnabledFor(level):
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            access_log.log(
                level,
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "client": request.META.get("REMOTE_ADDR", ""),
                    "user_id": _user_id(request),
                },
            )
        return response

    def cleanup(self, state: Any) -> None:
        request_id_var.reset(state[0])


class MetricsMiddleware(_Wrapping):
    """Counts each answered request and its duration by method and status class."""

    def before(self, request: HttpRequest) -> Any:
        return time.perf_counter()

    def after(self, request: HttpRequest, response: HttpResponse, state: Any) -> HttpResponse:
        if request.path not in QUIET_PATHS:
            metrics.observe_request(request.method or "", response.status_code, time.perf_counter() - state)
        return response


def _user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id if the request already loaded it: never a query of its own."""
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", user)
    if user is None or wrapped is empty:
        return None
    return wrapped.pk if getattr(wrapped, "is_authenticated", False) else None
