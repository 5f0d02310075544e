"""Celery tasks of the notification outbox: thin wrappers that take ids and call one service.

Retry policy lives here. Every task is idempotent (the services claim rows before sending), so
a redelivered, retried or duplicated task message sends nothing twice. The three
``*_pending``/digest tasks are scheduled in config.schedule and run at every tick.

What is retried, with exponential backoff and jitter: SMTP and socket errors (``OSError``), the
database going away or restarting (Django's ``OperationalError``, ``InterfaceError``), and the
broker or channel layer's Redis (``kombu.exceptions.OperationalError``, redis-py's connection and
timeout errors, which are not OSErrors). Anything else is a bug: it fails at once and is logged.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from notifications import services

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    DatabaseOperationalError,
    InterfaceError,
    BrokerError,
    RedisConnectionError,
    RedisTimeoutError,
)

# One notification's e-mail: 30 s, 1, 2, 4, 8 min … up to 30 min apart, for about an hour in
# all; after that deliver_pending_email_task (every tick) still picks the row up.
EMAIL_RETRY = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 30,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 6,
}
# The scheduled jobs run again at the next tick anyway: a few quick retries bridge a database
# restart within the tick instead of losing it, without piling up behind the next tick.
SCHEDULED_RETRY = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 3,
}


# acks_late: a broker redelivery or a retry after a crash is safe, the claim lets only one
# attempt send.
@shared_task(acks_late=True, **EMAIL_RETRY)
def deliver_emails_task(notification_ids: list[int]) -> dict[int, str]:
    """A commit's e-mails over one SMTP connection. A retry carries the same ids; the rows sent
    before the failure are settled, so it reads and sends only the rest."""
    return services.emails_deliver(notification_ids=notification_ids)


# One notification's e-mail. Nothing here enqueues it any more (a commit's e-mails go as one
# deliver_emails_task); it stays for the messages an older release queued, which a worker of
# this one must still run.
@shared_task(acks_late=True, **EMAIL_RETRY)
def deliver_email_task(notification_id: int) -> str:
    return services.email_deliver(notification_id=notification_id)


# A commit's notifications (``services._deliver_after_commit``): push them, enqueue their e-mails.
# Not retried: whatever it could not push or enqueue is left for the two jobs below.
@shared_task(acks_late=True)
def deliver_task(pairs: list[list[int]]) -> int:
    services.notifications_deliver([(notification_id, recipient_id) for notification_id, recipient_id in pairs])
    return len(pairs)


@shared_task(**SCHEDULED_RETRY)
def push_pending_task() -> int:
    return services.notifications_push_pending()


@shared_task(**SCHEDULED_RETRY)
def deliver_pending_email_task() -> int:
    return services.email_deliver_pending()


@shared_task(**SCHEDULED_RETRY)
def send_digests_task() -> int:
    return services.digests_send_due()
