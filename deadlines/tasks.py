"""Scheduled work of the deadlines app: the reminder sweep, every minute (config/schedule.py).

Thin on purpose: the task carries no arguments and no retry policy, because the next run a
minute later is the retry, and every run is safe to overlap with another (see services).
Deadlines never use Celery ETA or countdown.
"""

from celery import shared_task

from deadlines import services


@shared_task(ignore_result=True)
def sweep_deadlines_task() -> dict[str, int]:
    return services.sweep()
