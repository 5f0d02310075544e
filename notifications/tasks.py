"""Celery tasks of the notification outbox: thin wrappers that take ids and call one service.

Retry policy lives here. Every task is idempotent (the services claim rows before sending), so
a redelivered or duplicated task message sends nothing twice. The three ``*_pending``/digest
tasks are scheduled in config.schedule and run at every tick.
"""

from __future__ import annotations

from celery import shared_task

from notifications import services


@shared_task(
    # SMTPException and socket errors are OSErrors. A broker redelivery or a retry after a
    # crash is safe: the claim lets only one attempt send.
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def deliver_email_task(notification_id: int) -> str:
    return services.email_deliver(notification_id=notification_id)


@shared_task
def push_pending_task() -> int:
    return services.notifications_push_pending()


@shared_task
def deliver_pending_email_task() -> int:
    return services.email_deliver_pending()


@shared_task
def send_digests_task() -> int:
    return services.digests_send_due()
