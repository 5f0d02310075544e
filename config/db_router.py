"""Reads that may go to the PostgreSQL streaming replica, and when they may not.

Nothing goes to the replica by default: routing every read there would break read-your-writes
right after an approval. A read goes there only inside ``with read_replica():`` — the reports,
dashboards, exports and the benchmark's read figures — and only when all of these hold:

* ``DATABASE_REPLICA_URL`` is set (``DATABASES["replica"]``); unset, the block is a no-op;
* the request is not pinned to the primary: a request with an unsafe method, and every request
  of that browser for ``READ_YOUR_WRITES_SECONDS`` after it (a cookie set by
  :class:`ReadYourWritesMiddleware`), reads the primary, so a writer sees their own change;
* the replica is up and at most ``REPLICA_MAX_LAG_SECONDS`` behind: a cheap health check
  (``pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()``, else
  ``now() - pg_last_xact_replay_timestamp()``), cached per process for
  ``REPLICA_HEALTH_SECONDS``. A refused connection or a lag beyond the setting sends the reads
  to the primary, with a log line and no error for the user.

Writes always go to ``default``; migrations only run there.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PRIMARY = "default"
COOKIE = "ctmtqg_primary"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

log = logging.getLogger(__name__)

_wanted: contextvars.ContextVar[bool] = contextvars.ContextVar("read_replica", default=False)
_pinned: contextvars.ContextVar[bool] = contextvars.ContextVar("pinned_to_primary", default=False)

LAG_SQL = (
    "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


def configured() -> bool:
    return REPLICA in settings.DATABASES


class _Health:
    """The replica's last known state, per process; re-checked at most every REPLICA_HEALTH_SECONDS."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked_at = float("-inf")
        self.usable = False
        self.lag: float | None = None

    def reset(self) -> None:
        with self.lock:
            self.checked_at = float("-inf")

    def check(self) -> bool:
        now = time.monotonic()
        if now - self.checked_at < settings.REPLICA_HEALTH_SECONDS:
            return self.usable
        with self.lock:
            if now - self.checked_at < settings.REPLICA_HEALTH_SECONDS:
                return self.usable
            usable, lag = self._probe()
            if usable != self.usable:
                log.warning(
                    "replica %s",
                    "back in use" if usable else "not used, reads go to the primary",
                    extra={"replica_lag_seconds": lag},
                )
            self.usable, self.lag, self.checked_at = usable, lag, time.monotonic()
            return usable

    @staticmethod
    def _probe() -> tuple[bool, float | None]:
        connection = connections[REPLICA]
        try:
            with connection.cursor() as cursor:
                cursor.execute(LAG_SQL)
                in_recovery, lag = cursor.fetchone()
        except DatabaseError:
            with contextlib.suppress(DatabaseError):
                connection.close()
            return False, None
        lag = float(lag)
        # A promoted replica is a primary of its own: reading it would miss the real primary's writes.
        return bool(in_recovery) and lag <= settings.REPLICA_MAX_LAG_SECONDS, lag


health = _Health()


@contextlib.contextmanager
def read_replica() -> Iterator[None]:
    """Reads inside go to the replica when it is configured, fresh enough and the caller has not
    just written; otherwise to the primary."""
    token = _wanted.set(True)
    try:
        yield
    finally:
        _wanted.reset(token)


@contextlib.contextmanager
def pinned_to_primary() -> Iterator[None]:
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


def replica_in_use() -> bool:
    """Whether a read made here and now would go to the replica."""
    return _wanted.get() and not _pinned.get() and configured() and health.check()


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return REPLICA if replica_in_use() else None

    def db_for_write(self, model: type, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY


class ReadYourWritesMiddleware:
    """An unsafe request, and every request of that browser for READ_YOUR_WRITES_SECONDS after it,
    reads the primary. A cookie rather than the session: no session write, and any web node
    honours it. (Forging it only makes one's own reads go to the primary.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not configured():
            return self.get_response(request)
        writing = request.method in UNSAFE
        pinned = writing or COOKIE in request.COOKIES
        token = _pinned.set(pinned)
        try:
            response = self.get_response(request)
        finally:
            _pinned.reset(token)
        if writing:
            seconds = settings.READ_YOUR_WRITES_SECONDS
            response.set_cookie(COOKIE, "1", max_age=seconds, httponly=True, samesite="Lax", secure=request.is_secure())
        return response


def replica_reads(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view (or view method) whose reads may go to the replica: reports, dashboards, exports."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with read_replica():
            return view(*args, **kwargs)

    return wrapped
