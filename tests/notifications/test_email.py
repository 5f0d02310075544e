"""E-mail: templates per language, preferences, the daily digest, and delivery when the broker or
SMTP is down. Celery runs eagerly in tests, so an on-commit enqueue sends at once."""

from __future__ import annotations

import datetime as dt
import smtplib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.db.models import Q
from kombu.exceptions import OperationalError

from notifications import services, tasks
from notifications.models import EmailMode, EmailOutcome, Kind, Notification
from tests.notifications.helpers import notice, raw_notifications

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=VN)


@pytest.fixture
def send_on_commit(django_capture_on_commit_callbacks):
    """notify() as the workflow calls it: inside a transaction, delivery after commit."""

    def _notify(user, **kwargs):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return notice(user, **kwargs)

    return _notify


# --- immediate mode (the default) -------------------------------------------------------------


def test_an_officer_gets_one_mail_per_notification_by_default(officer, send_on_commit, mailoutbox, settings):
    settings.SITE_URL = "https://gnbv.example.gov.vn"
    alice = officer()
    (row,) = send_on_commit(alice, link="/plans/17/")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [alice.email]
    assert "Kế hoạch năm 2023 của xã Sin Suối Hồ chờ thẩm định" in message.subject
    assert "https://gnbv.example.gov.vn/plans/17/" in message.body
    assert "Kính gửi" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'href="https://gnbv.example.gov.vn/plans/17/"' in html
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    row.refresh_from_db()
    assert row.emailed_at is not None
    assert row.email_outcome == EmailOutcome.SENT


def test_mail_is_in_the_recipients_language(officer, send_on_commit, mailoutbox):
    send_on_commit(officer(language="en"))
    message = mailoutbox[0]
    assert message.subject.startswith("[Poverty reduction] The 2023 plan")
    assert "Dear" in message.body
    assert "Kính gửi" not in message.body


def test_a_reminder_names_plan_step_due_date_and_links_to_the_task(officer, send_on_commit, mailoutbox, settings):
    settings.SITE_URL = "https://gnbv.example.gov.vn/"
    text_vi = "Kế hoạch năm 2023 của xã Sin Suối Hồ: bước thẩm định cấp huyện đến hạn ngày 15/03/2026."
    send_on_commit(officer(), kind=Kind.REMINDER, link="/tasks/9/", text_vi=text_vi, dedupe_key="task-9:due-1d")
    message = mailoutbox[0]
    assert message.subject.startswith("[Giảm nghèo] Nhắc hạn:")
    assert text_vi in message.body
    assert "https://gnbv.example.gov.vn/tasks/9/" in message.body  # one slash, absolute


def test_html_mail_escapes_the_text(officer, send_on_commit, mailoutbox):
    send_on_commit(officer(), text_vi="<script>alert(1)</script> & co")
    html = mailoutbox[0].alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<script>alert(1)</script> & co" in mailoutbox[0].body  # plain text is not escaped


def test_officer_who_turned_mail_off_gets_none(officer, send_on_commit, mailoutbox):
    alice = officer()
    services.email_preference_set(user=alice, mode=EmailMode.OFF, digest_hour=7)
    (row,) = send_on_commit(alice)
    assert mailoutbox == []
    row.refresh_from_db()
    assert row.email_outcome == EmailOutcome.OFF
    assert row.emailed_at is not None  # settled: the retry job leaves it alone


def test_officer_without_address_is_skipped_not_retried(officer, send_on_commit, mailoutbox):
    (row,) = send_on_commit(officer(email=None))
    row.refresh_from_db()
    assert (mailoutbox, row.email_outcome) == ([], EmailOutcome.NO_ADDRESS)


def test_delivering_twice_sends_once(officer, mailoutbox):
    (row,) = raw_notifications(officer(), 1)
    assert services.email_deliver(notification_id=row.id) == EmailOutcome.SENT
    assert services.email_deliver(notification_id=row.id) == "not_claimed"
    assert tasks.deliver_email_task(row.id) == "not_claimed"
    assert len(mailoutbox) == 1


def test_a_fresh_claim_blocks_and_a_stale_one_is_taken_over(officer, mailoutbox):
    (row,) = raw_notifications(officer(), 1)
    with time_machine.travel(at(2, 9), tick=False):
        assert services._claim(Q(pk=row.id)) is not None  # a worker claims it, then dies
        assert services.email_deliver(notification_id=row.id) == "not_claimed"
    with time_machine.travel(at(2, 9, 4), tick=False):
        assert services.email_deliver(notification_id=row.id) == "not_claimed"
    with time_machine.travel(at(2, 9, 6), tick=False):  # past EMAIL_CLAIM_SECONDS
        assert services.email_deliver(notification_id=row.id) == EmailOutcome.SENT
    assert len(mailoutbox) == 1


# --- preferences ------------------------------------------------------------------------------


def test_preference_defaults_to_immediate_at_seven(officer):
    from notifications import selectors

    preference = selectors.email_preference_for(officer())
    assert (preference.pk, preference.mode, preference.digest_hour) == (None, EmailMode.IMMEDIATE, 7)


@pytest.mark.parametrize(("mode", "hour"), [("weekly", 7), ("off", 24), ("off", -1)])
def test_invalid_preference_is_refused(officer, mode, hour):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.email_preference_set(user=officer(), mode=mode, digest_hour=hour)


# --- daily digest -----------------------------------------------------------------------------


def test_digest_waits_for_the_hour_then_sends_once_a_day(officer, send_on_commit, mailoutbox):
    alice = officer()
    services.email_preference_set(user=alice, mode=EmailMode.DAILY_DIGEST, digest_hour=7)

    with time_machine.travel(at(10, 6, 0), tick=False):
        first = send_on_commit(alice, n=1)[0]
        send_on_commit(alice, n=2)
        assert mailoutbox == []  # held for the digest
        assert tasks.send_digests_task() == 0
    with time_machine.travel(at(10, 6, 59), tick=False):
        assert tasks.send_digests_task() == 0
    with time_machine.travel(at(10, 7, 1), tick=False):
        assert tasks.send_digests_task() == 1
        assert tasks.send_digests_task() == 0  # idempotent within the tick and the day
    assert len(mailoutbox) == 1
    digest = mailoutbox[0]
    assert digest.subject == "[Giảm nghèo] 2 thông báo ngày 10/03/2026"
    assert "chờ thẩm định (1)" in digest.body
    assert "chờ thẩm định (2)" in digest.body
    first.refresh_from_db()
    assert first.email_outcome == EmailOutcome.DIGEST

    with time_machine.travel(at(10, 9), tick=False):
        send_on_commit(alice, n=3)
        assert tasks.send_digests_task() == 0  # today's digest is gone; this waits for tomorrow
    with time_machine.travel(at(10, 23, 59), tick=False):
        assert tasks.send_digests_task() == 0
    with time_machine.travel(at(11, 6, 30), tick=False):
        assert tasks.send_digests_task() == 0
    with time_machine.travel(at(11, 7, 0), tick=False):
        assert tasks.send_digests_task() == 1
    assert len(mailoutbox) == 2
    assert "chờ thẩm định (3)" in mailoutbox[1].body
    assert "(1)" not in mailoutbox[1].body


def test_digest_hour_is_vietnam_time(officer, send_on_commit, mailoutbox):
    alice = officer()
    services.email_preference_set(user=alice, mode=EmailMode.DAILY_DIGEST, digest_hour=8)
    with time_machine.travel(dt.datetime(2026, 3, 10, 0, 30, tzinfo=dt.UTC), tick=False):  # 07:30 in Hà Nội
        send_on_commit(alice)
        assert tasks.send_digests_task() == 0
    with time_machine.travel(dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC), tick=False):  # 08:00 in Hà Nội
        assert tasks.send_digests_task() == 1


def test_no_digest_mail_on_a_day_without_notifications(officer, mailoutbox):
    alice = officer()
    services.email_preference_set(user=alice, mode=EmailMode.DAILY_DIGEST, digest_hour=7)
    with time_machine.travel(at(12, 8), tick=False):
        assert tasks.send_digests_task() == 0
    assert mailoutbox == []


def test_english_digest(officer, send_on_commit, mailoutbox):
    bob = officer(language="en")
    services.email_preference_set(user=bob, mode=EmailMode.DAILY_DIGEST, digest_hour=0)
    with time_machine.travel(at(10, 12), tick=False):
        send_on_commit(bob)
        assert tasks.send_digests_task() == 1
    assert mailoutbox[0].subject == "[Poverty reduction] 1 notification for 10/03/2026"
    assert "The 2023 plan of Sin Suối Hồ commune awaits review" in mailoutbox[0].body


def test_retry_job_leaves_digest_officers_to_the_digest(officer, send_on_commit, mailoutbox):
    alice = officer()
    services.email_preference_set(user=alice, mode=EmailMode.DAILY_DIGEST, digest_hour=7)
    with time_machine.travel(at(10, 5), tick=False):
        send_on_commit(alice)
    with time_machine.travel(at(10, 6), tick=False):
        assert tasks.deliver_pending_email_task() == 0
    assert mailoutbox == []


def test_switching_from_digest_to_immediate_releases_waiting_rows(officer, send_on_commit, mailoutbox):
    alice = officer()
    services.email_preference_set(user=alice, mode=EmailMode.DAILY_DIGEST, digest_hour=7)
    with time_machine.travel(at(10, 5), tick=False):
        send_on_commit(alice)
        services.email_preference_set(user=alice, mode=EmailMode.IMMEDIATE, digest_hour=7)
    with time_machine.travel(at(10, 5, 30), tick=False):
        assert tasks.deliver_pending_email_task() == 1
    assert len(mailoutbox) == 1


# --- broker or SMTP down ----------------------------------------------------------------------


def test_broker_down_neither_fails_the_request_nor_loses_the_mail(
    officer, send_on_commit, mailoutbox, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_emails_task, "apply_async", broker_down)
    alice = officer()
    with time_machine.travel(at(10, 9), tick=False):
        (row,) = send_on_commit(alice)  # no exception reaches the caller
        send_on_commit(alice, n=2)  # the circuit is open: not even tried
    assert "broker down" in caplog.text
    assert services.broker_circuit.is_open
    row.refresh_from_db()
    assert (row.emailed_at, row.email_claimed_at, mailoutbox) == (None, None, [])

    monkeypatch.undo()
    with time_machine.travel(at(10, 9, 5), tick=False):
        assert tasks.deliver_pending_email_task() == 0  # not yet "late"
    with time_machine.travel(at(10, 9, 11), tick=False):
        assert tasks.deliver_pending_email_task() == 2
        assert tasks.deliver_pending_email_task() == 0
    assert len(mailoutbox) == 2


def test_smtp_failure_retries_then_leaves_the_row_for_the_job(officer, send_on_commit, mailoutbox, monkeypatch):
    calls = []

    def smtp_down(self, messages):
        calls.append(len(messages))
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", smtp_down)
    with time_machine.travel(at(10, 9), tick=False):
        (row,) = send_on_commit(officer())  # eager Celery: one attempt, the retry is not run
    assert len(calls) == 1
    row.refresh_from_db()
    assert row.emailed_at is None
    assert row.email_claim_token is None  # released, not left to go stale

    monkeypatch.undo()
    with time_machine.travel(at(10, 9, 11), tick=False):
        assert tasks.deliver_pending_email_task() == 1
    assert len(mail.outbox) == 1


def test_a_refused_address_is_not_retried(officer, mailoutbox, monkeypatch):
    def refused(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.gov.vn": (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refused)
    (row,) = raw_notifications(officer(), 1)
    assert services.email_deliver(notification_id=row.id) == EmailOutcome.FAILED
    row.refresh_from_db()
    assert row.emailed_at is not None


def test_gives_up_after_too_many_attempts(officer, monkeypatch):
    (row,) = raw_notifications(officer(), 1)
    Notification.objects.filter(pk=row.pk).update(email_attempts=services.EMAIL_MAX_ATTEMPTS)
    assert services.email_deliver(notification_id=row.id) == EmailOutcome.FAILED


# --- templates --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["notification", "reminder", "digest"])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_mail_exists_in_both_languages(officer, name, language):
    from notifications.email import render_templated

    user = officer(language=language)
    context = {
        "text": "X",
        "url": "https://a/b/",
        "items": [{"text": "X", "url": "https://a/b/"}],
        "count": 1,
        "more": 0,
        "day": dt.date(2026, 3, 10),
        "centre_url": "https://a/notifications/",
        "preferences_url": "https://a/notifications/preferences/",
    }
    subject, text, html = render_templated(user, name, context)
    assert subject and "\n" not in subject
    assert ("Kính gửi" if language == "vi" else "Dear") in text
    assert html is not None
    assert f'lang="{language}"' in html
