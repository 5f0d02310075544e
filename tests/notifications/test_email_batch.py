"""A commit's e-mails go as one task over one SMTP connection (``services.emails_deliver``), with
every guarantee of the single delivery: each row claimed, sent once, settled or released.

The backend below is Django's locmem one (``mail.outbox``) counting connections the way the SMTP
backend makes them: ``send_messages`` opens one unless the caller already has, and closes what it
opened. It can also fail the n-th message as an SMTP server that drops the connection would."""

from __future__ import annotations

import datetime as dt
import smtplib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends import locmem
from django.db import transaction

from notifications import services, tasks
from notifications.models import EmailMode, EmailOutcome, Notification
from tests.notifications.helpers import notice, raw_notifications

VN = ZoneInfo("Asia/Ho_Chi_Minh")
BACKEND = f"{__name__}.CountingBackend"


class CountingBackend(locmem.EmailBackend):
    connections = 0  # SMTP connections opened since the fixture reset them
    messages = 0  # messages handed to the backend, failed ones included
    fail_message: int | None = None  # this message (1-based) fails as a dropped connection

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.is_open = False

    def open(self) -> bool:
        if self.is_open:
            return False
        CountingBackend.connections += 1
        self.is_open = True
        return True

    def close(self) -> None:
        self.is_open = False

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        created = self.open()
        try:
            for _message in messages:
                CountingBackend.messages += 1
                if CountingBackend.messages == CountingBackend.fail_message:
                    raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            return super().send_messages(messages)
        finally:
            if created:
                self.close()


@pytest.fixture
def smtp(settings, mailoutbox):
    settings.EMAIL_BACKEND = BACKEND
    CountingBackend.connections = CountingBackend.messages = 0
    CountingBackend.fail_message = None
    yield CountingBackend
    CountingBackend.fail_message = None


def settled(rows: list[Notification]) -> list[tuple[str, bool]]:
    """(outcome, still claimed?) of each row, as the database has it now."""
    by_id = {n.pk: n for n in Notification.objects.filter(pk__in=[r.pk for r in rows])}
    return [(by_id[r.pk].email_outcome, by_id[r.pk].email_claim_token is not None) for r in rows]


def test_a_commits_notifications_are_mailed_by_one_task_over_one_connection(
    officer, smtp, django_capture_on_commit_callbacks, monkeypatch
):
    alice, bob, carol = officer(), officer(), officer()
    enqueued = []
    real = tasks.deliver_emails_task.apply_async

    def recording(*args, **kwargs):
        enqueued.append(kwargs["args"])
        return real(*args, **kwargs)  # eager in tests: runs the task right here

    monkeypatch.setattr(tasks.deliver_emails_task, "apply_async", recording)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows = services.notify(
            recipients=[alice, bob, carol], kind="task", plan=None, link="/plans/1/", text_vi="Việc mới", text_en="New"
        )
    assert enqueued == [[[r.pk for r in rows]]]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in (alice, bob, carol))
    assert smtp.connections == 1
    assert settled(rows) == [(EmailOutcome.SENT, False)] * 3


def test_without_a_shared_connection_each_mail_opens_its_own(officer, smtp):
    """Control: the backend does count one connection per mail when nothing shares one."""
    rows = raw_notifications(officer(), 3)
    for row in rows:
        assert services.email_deliver(notification_id=row.pk) == EmailOutcome.SENT
    assert (len(mail.outbox), smtp.connections) == (3, 3)


def test_the_batch_reads_its_rows_in_one_query(officer, smtp, django_assert_num_queries):
    alice, bob = officer(), officer()
    rows = raw_notifications(alice, 3) + raw_notifications(bob, 3)
    # One read; then per row one claim and one settle.
    with django_assert_num_queries(1 + 2 * len(rows)):
        outcomes = services.emails_deliver(notification_ids=[r.pk for r in rows])
    assert outcomes == {r.pk: EmailOutcome.SENT for r in rows}
    assert (len(mail.outbox), smtp.connections) == (6, 1)


def test_a_redelivered_batch_sends_nothing_twice(officer, smtp):
    rows = raw_notifications(officer(), 3)
    ids = [r.pk for r in rows]
    assert tasks.deliver_emails_task.apply(args=[ids]).result == dict.fromkeys(ids, EmailOutcome.SENT)
    assert tasks.deliver_emails_task.apply(args=[ids]).result == dict.fromkeys(ids, "not_claimed")
    assert services.email_deliver(notification_id=ids[0]) == "not_claimed"
    assert (len(mail.outbox), smtp.connections) == (3, 1)


def test_a_batch_keeps_preferences_skips_and_the_attempt_limit(officer, smtp):
    digest, off, no_address, gave_up, wants = officer(), officer(), officer(email=None), officer(), officer()
    services.email_preference_set(user=digest, mode=EmailMode.DAILY_DIGEST, digest_hour=7)
    services.email_preference_set(user=off, mode=EmailMode.OFF, digest_hour=7)
    rows = [raw_notifications(user, 1)[0] for user in (digest, off, no_address, gave_up, wants)]
    Notification.objects.filter(pk=rows[3].pk).update(email_attempts=services.EMAIL_MAX_ATTEMPTS)
    outcomes = services.emails_deliver(notification_ids=[r.pk for r in rows])
    assert [outcomes[r.pk] for r in rows] == [
        "deferred",
        EmailOutcome.OFF,
        EmailOutcome.NO_ADDRESS,
        EmailOutcome.FAILED,
        EmailOutcome.SENT,
    ]
    assert [m.to for m in mail.outbox] == [[wants.email]]
    # The digest's row is released for the digest, the others settled.
    assert settled(rows) == [
        ("", False),
        (EmailOutcome.OFF, False),
        (EmailOutcome.NO_ADDRESS, False),
        (EmailOutcome.FAILED, False),
        (EmailOutcome.SENT, False),
    ]


def test_a_batch_of_digest_officers_opens_no_connection(officer, smtp):
    alice = officer()
    services.email_preference_set(user=alice, mode=EmailMode.DAILY_DIGEST, digest_hour=7)
    rows = raw_notifications(alice, 2)
    assert services.emails_deliver(notification_ids=[r.pk for r in rows]) == dict.fromkeys(
        [r.pk for r in rows], "deferred"
    )
    assert smtp.connections == 0


def test_a_refused_address_fails_that_row_and_the_batch_goes_on(officer, smtp, monkeypatch):
    refused, fine = officer(), officer()
    real = CountingBackend.send_messages

    def refusing(self, messages):
        if messages[0].to == [refused.email]:
            raise smtplib.SMTPRecipientsRefused({refused.email: (550, b"no such user")})
        return real(self, messages)

    monkeypatch.setattr(CountingBackend, "send_messages", refusing)
    rows = raw_notifications(refused, 1) + raw_notifications(fine, 1)
    outcomes = services.emails_deliver(notification_ids=[r.pk for r in rows])
    assert [outcomes[r.pk] for r in rows] == [EmailOutcome.FAILED, EmailOutcome.SENT]
    assert [m.to for m in mail.outbox] == [[fine.email]]
    assert smtp.connections == 1


def test_smtp_failing_on_the_second_of_three_leaves_the_rest_for_the_pending_job(officer, smtp):
    alice, bob, carol = officer(), officer(), officer()
    start = dt.datetime(2026, 3, 10, 9, 0, tzinfo=VN)
    with time_machine.travel(start, tick=False):
        rows = [raw_notifications(user, 1)[0] for user in (alice, bob, carol)]
        smtp.fail_message = 2
        with pytest.raises(smtplib.SMTPServerDisconnected):
            services.emails_deliver(notification_ids=[r.pk for r in rows])
    assert [m.to for m in mail.outbox] == [[alice.email]]
    # The first stays sent; the second's claim is released at once, the third was never claimed.
    assert settled(rows) == [(EmailOutcome.SENT, False), ("", False), ("", False)]
    assert [n.email_claimed_at is None for n in Notification.objects.filter(pk__in=[r.pk for r in rows[1:]])] == [
        True,
        True,
    ]
    assert list(
        Notification.objects.filter(pk__in=[r.pk for r in rows]).order_by("id").values_list("email_attempts", flat=True)
    ) == [1, 1, 0]

    smtp.fail_message = None
    with time_machine.travel(start + services.EMAIL_RETRY_AFTER + dt.timedelta(minutes=1), tick=False):
        assert tasks.deliver_pending_email_task() == 2
    assert [m.to for m in mail.outbox] == [[alice.email], [bob.email], [carol.email]]
    assert settled(rows) == [(EmailOutcome.SENT, False)] * 3


def test_the_batch_task_retries_only_what_is_left(officer, smtp, monkeypatch):
    """Its retry carries the same ids: the row sent before the failure is not mailed again."""
    # Eager tasks run their retries at once when errors do not propagate.
    monkeypatch.setitem(tasks.deliver_emails_task.app.conf, "task_eager_propagates", False)
    rows = [raw_notifications(user, 1)[0] for user in (officer(), officer(), officer())]
    smtp.fail_message = 2
    result = tasks.deliver_emails_task.apply(args=[[r.pk for r in rows]])
    assert result.state == "SUCCESS"
    assert result.result == {rows[0].pk: "not_claimed", rows[1].pk: EmailOutcome.SENT, rows[2].pk: EmailOutcome.SENT}
    assert len(mail.outbox) == 3
    assert smtp.connections == 2  # the failed attempt's and the retry's
    assert settled(rows) == [(EmailOutcome.SENT, False)] * 3


def test_the_batch_task_retries_the_same_transient_errors_as_the_single_one():
    assert tasks.deliver_emails_task.autoretry_for == tasks.deliver_email_task.autoretry_for
    assert tasks.deliver_emails_task.max_retries == tasks.deliver_email_task.max_retries


def test_with_the_broker_down_the_batch_trips_the_circuit_and_waits_for_the_job(
    officer, smtp, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from kombu.exceptions import OperationalError

    calls = []

    def broker_down(*args, **kwargs):
        calls.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_emails_task, "apply_async", broker_down)
    alice, bob = officer(), officer()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows = services.notify(
            recipients=[alice, bob], kind="task", plan=None, link="/plans/1/", text_vi="Việc mới", text_en="New"
        )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notice(alice, n=2)  # the circuit is open: not even tried
    assert len(calls) == 1
    assert services.broker_circuit.is_open
    assert "cannot enqueue e-mail of 2 notification(s) (broker down)" in caplog.text
    assert (mail.outbox, settled(rows)) == ([], [("", False)] * 2)
