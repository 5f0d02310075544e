"""Prometheus metrics: request counters kept by every web process, state gauges read at scrape.

Two kinds of numbers, two ways of keeping them:

* **Per request** (``ctmtqg_http_requests_total``, ``ctmtqg_http_request_duration_seconds``),
  labelled by method and status class only (``2xx``…), so the series count stays fixed whatever
  the URLs. uvicorn ``--workers N`` runs N processes and a scrape reaches one of them, so when
  ``PROMETHEUS_MULTIPROC_DIR`` is set, prometheus-client keeps the values in files there and
  every scrape sums all processes (the directory must be emptied when the service starts; the
  systemd unit and compose file do it). Without it (one process, tests) values stay in memory.
* **State of the system** (queue depth, overdue tasks, notification lag) is read from Redis
  and PostgreSQL when scraped, by ``SystemStateCollector``. Every web node reports the same
  values: aggregate them with ``max`` in Prometheus, never ``sum``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "ctmtqg_http_requests",
    "HTTP requests answered, by method and status class.",
    ["method", "status"],
)
REQUEST_DURATION = Histogram(
    "ctmtqg_http_request_duration_seconds",
    "Time from the first middleware to the response, by method and status class.",
    ["method", "status"],
    # Pages are budgeted at a few hundred milliseconds; exports and imports take seconds.
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def observe_request(method: str, status_code: int, seconds: float) -> None:
    labels = {"method": method if method in METHODS else "other", "status": f"{status_code // 100}xx"}
    REQUESTS.labels(**labels).inc()
    REQUEST_DURATION.labels(**labels).observe(seconds)


class SystemStateCollector(Collector):
    """Gauges read at scrape time. A source that cannot be read is reported by
    ``ctmtqg_metrics_source_up{source}`` = 0 and its gauges are left out, so a dead Redis shows
    as "unknown" rather than as an empty queue."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "ctmtqg_metrics_source_up", "Whether a source of the gauges could be read.", labels=["source"]
        )
        try:
            yield from self._database()
            up.add_metric(["database"], 1)
        except Exception:  # a scrape must still answer; the failure is logged and reported
            logger.warning("metrics: database gauges unavailable", exc_info=True)
            up.add_metric(["database"], 0)
        if settings.REDIS_URL:
            try:
                yield from self._queue()
                up.add_metric(["redis"], 1)
            except Exception:
                logger.warning("metrics: queue depth unavailable", exc_info=True)
                up.add_metric(["redis"], 0)
        yield up

    def _queue(self) -> Iterator[Metric]:
        import redis

        queues = [q.name for q in getattr(settings, "CELERY_TASK_QUEUES", ())] or ["celery"]
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            # Celery's Redis transport keeps a queue as a list named after it.
            depths = {queue: client.llen(queue) for queue in queues}
        finally:
            client.close()
        gauge = GaugeMetricFamily(
            "ctmtqg_celery_queue_length", "Messages waiting in the Celery queue (Redis LLEN).", labels=["queue"]
        )
        for queue, depth in depths.items():
            gauge.add_metric([queue], depth)
        yield gauge

    def _database(self) -> Iterator[Metric]:
        from notifications.models import EmailMode, Notification
        from workflows.models import WorkItem

        now = _application_now()
        # Served by the index workitem_open_due (is_open, due_at).
        overdue = WorkItem.objects.filter(is_open=True, due_at__lt=now).count()
        yield GaugeMetricFamily("ctmtqg_overdue_tasks", "Open work items past their due date.", value=overdue)

        pending = GaugeMetricFamily(
            "ctmtqg_notifications_pending", "Notifications not yet delivered, by channel.", labels=["channel"]
        )
        lag = GaugeMetricFamily(
            "ctmtqg_notification_delivery_lag_seconds",
            "Age of the oldest notification not yet delivered, by channel (0 when none wait).",
            labels=["channel"],
        )
        # Partial index notif_push_pending.
        push = Notification.objects.filter(pushed_at__isnull=True).aggregate(n=Count("id"), oldest=Min("created_at"))
        # Partial index notif_email_pending. Officers on a daily digest wait for their hour by
        # choice: counting them would make the lag read up to a day when nothing is wrong.
        email = (
            Notification.objects.filter(emailed_at__isnull=True)
            .exclude(Q(recipient__email_preference__mode=EmailMode.DAILY_DIGEST))
            .aggregate(n=Count("id"), oldest=Min("created_at"))
        )
        real_now = timezone.now()
        for channel, row in (("push", push), ("email", email)):
            pending.add_metric([channel], row["n"])
            lag.add_metric([channel], max(0.0, (real_now - row["oldest"]).total_seconds()) if row["oldest"] else 0.0)
        yield pending
        yield lag


def _application_now():
    """The deadlines app's clock when it is installed (it honours the demo clock), else real time."""
    try:
        from deadlines import clock
    except ImportError:
        return timezone.now()
    return clock.now()


_state_registry = CollectorRegistry(auto_describe=False)
_state_registry.register(SystemStateCollector())


def render() -> bytes:
    """The whole exposition: request metrics (all processes) then the state gauges."""
    started = time.perf_counter()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = DEFAULT_REGISTRY
    body = generate_latest(registry) + generate_latest(_state_registry)
    logger.debug("metrics rendered in %.1f ms", (time.perf_counter() - started) * 1000)
    return body
