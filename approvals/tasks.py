"""Celery tasks of the approvals app: thin wrappers around one service each (config.schedule)."""

from __future__ import annotations

from celery import shared_task

from approvals import services


@shared_task
def purge_idempotency_records_task() -> int:
    return services.idempotency_records_purge()
