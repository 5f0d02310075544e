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
time, whatever a stray row might say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

ZERO = dt.timedelta(0)

# The offset read once for a whole operation (``one_reading``).
_reading: ContextVar[dt.timedelta | None] = ContextVar("clock_reading", default=None)


def offset() -> dt.timedelta:
    """The demo clock's offset (zero in production, and when no one has moved the clock)."""
    if getattr(settings, "PRODUCTION", False):
        return ZERO
    if (held := _reading.get()) is not None:
        return held
    # By name: the clock sits below every app (the directory's authority reads it), so it
    # imports none of them; the offset's table belongs to ``deadlines``, which sets it.
    ClockOffset = apps.get_model("deadlines", "ClockOffset")
    value = ClockOffset.objects.filter(pk=ClockOffset.SINGLETON).values_list("offset", flat=True).first()
    return value or ZERO


@contextmanager
def one_reading() -> Iterator[None]:
    """One operation, one clock: inside the block the offset is read once (a transition reads
    the date for its checks and again for the next task's deadline; both are the same day)."""
    if _reading.get() is not None:
        yield
        return
    token = _reading.set(offset())
    try:
        yield
    finally:
        _reading.reset(token)


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
