"""What ``/readyz`` checks: the database answers, Redis answers, no migration is pending.

Each check returns ``None`` when fine or a short reason (an exception's class, a count), never
an exception message: those can contain a host name or a URL with a password, and readiness is
served without authentication. Details go to the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

# Loading the migration graph costs tens of milliseconds; probes come every few seconds. Once
# this process has seen the schema current it is trusted for a while (a deploy that adds
# migrations restarts the processes anyway).
MIGRATIONS_TRUSTED_SECONDS = 60.0
_migrations_ok_until = 0.0


def database() -> str | None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return None


def redis() -> str | None:
    if not settings.REDIS_URL:
        return None  # demo mode: in-memory layers, nothing to reach
    import redis as redis_client

    client = redis_client.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return None


def migrations() -> str | None:
    global _migrations_ok_until
    if time.monotonic() < _migrations_ok_until:
        return None
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return f"{len(plan)} unapplied"
    _migrations_ok_until = time.monotonic() + MIGRATIONS_TRUSTED_SECONDS
    return None


# Which failures take the node out of the load balancer. Redis is reported but not required:
# logins and approvals never need it (design.md, "Reliability rules"), so a Redis outage must
# not empty the pool of web nodes; notifications wait in the outbox until it is back.
CHECKS: dict[str, tuple[Callable[[], str | None], bool]] = {
    "database": (database, True),
    "migrations": (migrations, True),
    "redis": (redis, False),
}


def run(*, strict: bool = False) -> tuple[int, dict]:
    """(HTTP status, body). ``strict``: every check is required (deploy gates, smoke tests)."""
    results: dict[str, str] = {}
    failing: list[str] = []
    degraded: list[str] = []
    for name, (check, required) in CHECKS.items():
        if name == "migrations" and "database" in failing:
            results[name] = "skipped"
            continue
        try:
            problem = check()
        except Exception as exc:  # any failure is a "not ready", never a 500
            logger.warning("readiness check %s failed", name, exc_info=True)
            problem = type(exc).__name__
        results[name] = "ok" if problem is None else f"fail: {problem}"
        if problem is not None:
            (failing if required or strict else degraded).append(name)
    status = "fail" if failing else "degraded" if degraded else "ok"
    return (503 if failing else 200), {"status": status, "checks": results, "failing": failing + degraded}
