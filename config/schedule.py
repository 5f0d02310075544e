"""Periodic jobs, declared once.

Celery beat runs them in production; ``manage.py serve_demo`` runs the same callables from
an in-process loop when there is no Redis. Each entry names a Celery task by its dotted path.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path of a Celery task
    every_seconds: int


def jobs() -> list[Job]:
    interval = settings.SCHEDULER_INTERVAL_SECONDS
    return [
        Job("workflow-timers", "workflows.tasks.fire_workflow_timers_task", interval),
        Job("deadline-sweep", "deadlines.tasks.sweep_deadlines_task", interval),
        Job("notifications-push-pending", "notifications.tasks.push_pending_task", interval),
        Job("notifications-email-pending", "notifications.tasks.deliver_pending_email_task", interval),
        Job("notifications-digests", "notifications.tasks.send_digests_task", interval),
        # Records older than IDEMPOTENCY_KEEP_DAYS; hourly is plenty (the window is days).
        Job("idempotency-purge", "approvals.tasks.purge_idempotency_records_task", max(interval, 3600)),
    ]


def beat_schedule() -> dict[str, dict[str, object]]:
    return {job.name: {"task": job.task, "schedule": float(job.every_seconds)} for job in jobs()}


def run_loop(stop: threading.Event) -> None:
    """Run every job at its interval until ``stop`` is set (the demo's scheduler)."""
    import time

    next_run = {job.name: 0.0 for job in jobs()}
    while not stop.is_set():
        now = time.monotonic()
        for job in jobs():
            if now >= next_run[job.name]:
                next_run[job.name] = now + job.every_seconds
                try:
                    import_string(job.task).apply()
                except Exception:  # one failing job must not stop the others; it is logged
                    logger.exception("scheduled job %s failed", job.name)
        stop.wait(1.0)
