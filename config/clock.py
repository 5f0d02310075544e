"""The application's notion of "now", which a demo may move (every app reads it from here;
``deadlines.clock`` re-exports it, and the directory's authority reads its date from it).

``manage.py cycle_clock set 2026-08-28`` stores an offset in a database singleton
(``ClockOffset``), so the web process, the scheduler thread and any worker share it. Everything
about deadlines asks this module, never ``timezone.now()`` directly:

* ``now()`` / ``today()``: the host clock plus the offset (due dates, dashboard, texts);
* ``database_now()``: the database server's clock plus the offset. The reminder sweep selects
  due rows by it, so several workers on several hosts agree on what is due even if their own
  clocks drift.

Under production settings the offset is never read (and cannot be set): ``now()`` is the real
time, whatever a stray row might say. Elsewhere one operation reads it once (``one_reading``: a
request, through ``RequestClockMiddleware``, and a transition, ``workflows.services.plan_act``,
wherever it is called from): the authority's day, the page's now and the next task's deadline are
one clock. Outside them (the scheduler, websocket consumers) every call reads it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

ZERO = dt.timedelta(0)

# The offset as this operation read it (a dict per ``one_reading``, empty until the first read);
# None outside one.
_request_offset: ContextVar[dict[str, dt.timedelta] | None] = ContextVar("clock_request_offset", default=None)


def offset() -> dt.timedelta:
    """The demo clock's offset (zero in production, and when no one has moved the clock)."""
    if getattr(settings, "PRODUCTION", False):
        return ZERO
    memo = _request_offset.get()
    if memo is not None and "offset" in memo:
        return memo["offset"]
    # By name: the clock sits below every app (the directory's authority reads it), so it
    # imports none of them; the offset's table belongs to ``deadlines``, which sets it.
    ClockOffset = apps.get_model("deadlines", "ClockOffset")
    value = ClockOffset.objects.filter(pk=ClockOffset.SINGLETON).values_list("offset", flat=True).first()
    value = value or ZERO
    if memo is not None:
        memo["offset"] = value
    return value


def forget_offset(**_kwargs: Any) -> None:
    """Drop the operation's copy of the offset: the next read asks the database. Connected to the
    ``ClockOffset`` row's saves and deletes (``deadlines.apps``), so a request that moves the
    clock sees the new time at once."""
    memo = _request_offset.get()
    if memo is not None:
        memo.clear()


@contextmanager
def one_reading() -> Iterator[None]:
    """One operation, one clock: inside the block the offset is read at most once (a nested
    block shares the outer one's reading)."""
    if _request_offset.get() is not None:
        yield
        return
    token = _request_offset.set({})
    try:
        yield
    finally:
        _request_offset.reset(token)


class RequestClockMiddleware:
    """One read of the offset per request, however many times the request asks for the time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with one_reading():
            return self.get_response(request)


def now() -> dt.datetime:
    return timezone.now() + offset()


def today() -> dt.date:
    return timezone.localdate(now())


def to_app_time(moment: dt.datetime) -> dt.datetime:
    """A moment recorded on the real clock (``auto_now_add``), seen on the application clock.

    Assumes the offset has not changed since: true within a demo session, and always in
    production where the offset is zero.
    """
    return moment + offset()


def database_now() -> dt.datetime:
    """The database server's current time plus the offset (aware, UTC)."""
    return _database_clock() + offset()


def _database_clock() -> dt.datetime:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # statement_timestamp(): this statement's time even inside a long transaction.
            cursor.execute("SELECT statement_timestamp()")
            value = cursor.fetchone()[0]
            return value.astimezone(dt.UTC)
        if connection.vendor == "sqlite":
            cursor.execute("SELECT STRFTIME('%Y-%m-%d %H:%M:%f', 'now')")
            text = cursor.fetchone()[0]
            return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    # Other backends are not supported by the project; fall back to the host clock.
    return timezone.now()
