"""Two deliverers racing over the same outbox rows, on PostgreSQL (real row locks, READ COMMITTED).

The control test shows the race is real: a deliverer that checks ``emailed_at`` and then sends
mails twice. The claim (one conditional UPDATE) makes each mail go exactly once.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone

from notifications import email, services
from notifications.models import EmailMode, EmailOutcome, Notification
from tests.notifications.helpers import raw_notifications

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_two_threads(work: Callable[[threading.Barrier], None]) -> None:
    barrier = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []

    def target() -> None:
        try:
            work(barrier)
        except BaseException as exc:  # surfaced to the test below
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=target) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def test_two_concurrent_deliverers_send_each_mail_exactly_once(officer, mailoutbox):
    rows = raw_notifications(officer(), 10) + raw_notifications(officer(language="en"), 10)
    ids = [row.id for row in rows]
    outcomes: list[str] = []

    def deliver_all(barrier: threading.Barrier) -> None:
        for notification_id in ids:
            barrier.wait()  # both threads claim the same row at the same moment
            outcomes.append(services.email_deliver(notification_id=notification_id))

    run_in_two_threads(deliver_all)

    assert len(mailoutbox) == len(ids)
    mailed = Counter(int(message.extra_headers["X-Notification-Id"]) for message in mailoutbox)
    assert set(mailed) == set(ids)
    assert set(mailed.values()) == {1}
    assert Counter(outcomes) == {EmailOutcome.SENT: len(ids), "not_claimed": len(ids)}
    assert not Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).exists()


def test_control_without_the_claim_the_race_double_sends(officer, mailoutbox):
    (row,) = raw_notifications(officer(), 1)

    def naive(barrier: threading.Barrier) -> None:
        notification = Notification.objects.select_related("recipient").get(pk=row.id)
        if notification.emailed_at is None:
            barrier.wait()  # both saw "not sent yet"
            email.send_templated(notification.recipient, "notification", {"text": notification.text_vi, "url": "x"})
            Notification.objects.filter(pk=row.id).update(emailed_at=timezone.now())

    run_in_two_threads(naive)
    assert len(mailoutbox) == 2


def test_two_concurrent_retry_jobs_send_each_mail_once(officer, mailoutbox, monkeypatch):
    from datetime import timedelta

    monkeypatch.setattr(services, "EMAIL_RETRY_AFTER", timedelta(0))
    ids = [row.id for row in raw_notifications(officer(), 15)]

    def job(barrier: threading.Barrier) -> None:
        barrier.wait()
        services.email_deliver_pending()

    run_in_two_threads(job)
    assert sorted(int(m.extra_headers["X-Notification-Id"]) for m in mailoutbox) == ids


def test_two_concurrent_digest_runs_send_one_digest(officer, mailoutbox):
    alice = officer()
    services.email_preference_set(user=alice, mode=EmailMode.DAILY_DIGEST, digest_hour=0)
    raw_notifications(alice, 5)

    def digest(barrier: threading.Barrier) -> None:
        barrier.wait()
        services.digests_send_due()

    run_in_two_threads(digest)
    assert len(mailoutbox) == 1
    assert not Notification.objects.filter(recipient=alice, emailed_at__isnull=True).exists()
