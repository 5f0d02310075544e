"""Jobs: e-mail and push tasks retry transient database and broker errors with backoff; the
idempotency records expire after IDEMPOTENCY_KEEP_DAYS, never inside the window."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.app import autoretry
from django.db import InterfaceError, OperationalError
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from approvals import services as approvals
from approvals.models import IdempotencyRecord
from config.celery import app
from config.schedule import jobs
from directory.models import User
from notifications import services as notifications
from notifications import tasks
from planning.models import Plan
from tests.complete import complete
from workflows import services

TRANSIENT = [
    OperationalError("server closed the connection unexpectedly"),
    InterfaceError("connection already closed"),
    BrokerError("Error 111 connecting to redis:6379. Connection refused."),
    RedisConnectionError("Connection refused"),
    RedisTimeoutError("Timeout reading from socket"),
    OSError("SMTP server unreachable"),
]


@pytest.fixture
def eager_retries(monkeypatch):
    """Eager tasks (tests, demo) run their retries at once when errors do not propagate; record
    the backoff each retry asked for."""
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    asked = []
    real = autoretry.get_exponential_backoff_interval

    def recording(**kwargs):
        asked.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(autoretry, "get_exponential_backoff_interval", recording)
    return asked


def failing(errors, result):
    calls = []

    def call(**kwargs):
        calls.append(kwargs)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    return call, calls


def test_the_email_task_retries_database_and_broker_errors_with_backoff(eager_retries, monkeypatch):
    deliver, calls = failing(TRANSIENT[:5], "sent")
    monkeypatch.setattr(notifications, "email_deliver", deliver)
    result = tasks.deliver_email_task.apply(args=[7])
    assert (result.state, result.result) == ("SUCCESS", "sent")
    assert calls == [{"notification_id": 7}] * 6
    assert [a["retries"] for a in eager_retries] == [0, 1, 2, 3, 4]  # exponential: 30 s × 2^n
    assert {(a["factor"], a["maximum"], a["full_jitter"]) for a in eager_retries} == {(30, 1800, True)}


def test_the_email_task_gives_up_after_its_retries(eager_retries, monkeypatch):
    deliver, calls = failing([OperationalError("down")] * 50, "sent")
    monkeypatch.setattr(notifications, "email_deliver", deliver)
    result = tasks.deliver_email_task.apply(args=[7])
    assert isinstance(result.result, OperationalError)
    assert len(calls) == tasks.EMAIL_RETRY["max_retries"] + 1


def test_a_bug_is_not_retried(eager_retries, monkeypatch):
    deliver, calls = failing([ValueError("a bug")], "sent")
    monkeypatch.setattr(notifications, "email_deliver", deliver)
    result = tasks.deliver_email_task.apply(args=[7])
    assert isinstance(result.result, ValueError)
    assert len(calls) == 1 and eager_retries == []


@pytest.mark.parametrize(
    ("task", "service"),
    [
        (tasks.push_pending_task, "notifications_push_pending"),
        (tasks.deliver_pending_email_task, "email_deliver_pending"),
        (tasks.send_digests_task, "digests_send_due"),
    ],
)
def test_the_scheduled_push_and_mail_jobs_retry_within_their_tick(eager_retries, monkeypatch, task, service):
    job, calls = failing([OperationalError("restarting"), RedisConnectionError("refused")], 3)
    monkeypatch.setattr(notifications, service, job)
    assert task.apply().result == 3
    assert len(calls) == 3
    assert all(a["maximum"] <= 60 for a in eager_retries)  # never past the next tick


def test_every_notification_task_retries_the_same_transient_errors():
    for task in (tasks.deliver_email_task, tasks.push_pending_task, tasks.deliver_pending_email_task):
        for error in TRANSIENT:
            assert isinstance(error, task.autoretry_for), (task.name, type(error))


# --- idempotency records ---------------------------------------------------------------------

T2_COMMUNE_HEAD = "t2-c03388-ubnd-head"


@pytest.fixture
def keyed_submit(demo, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    plan = complete(
        Plan.objects.get(unit__structure="two-tier", unit__code="03388", cycle__year=2025, plan_type="annual")
    )
    head = User.objects.get(username=T2_COMMUNE_HEAD)
    first = services.plan_act(actor=head, plan_id=plan.pk, action="submit", idempotency_key="submit-once")
    return head, plan, first


def test_a_replay_inside_the_window_gets_the_first_answer(keyed_submit, time_machine, settings):
    head, plan, first = keyed_submit
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC) + dt.timedelta(days=7, minutes=-1))
    assert approvals.idempotency_records_purge() == 0
    again = services.plan_act(actor=head, plan_id=plan.pk, action="submit", idempotency_key="submit-once")
    assert again == {**first, "replayed": True}


def test_records_older_than_the_window_are_purged(keyed_submit, time_machine, settings):
    head, _plan, _first = keyed_submit
    settings.IDEMPOTENCY_KEEP_DAYS = 2
    time_machine.move_to(dt.datetime(2026, 3, 4, 9, 1, tzinfo=dt.UTC))
    assert import_string("approvals.tasks.purge_idempotency_records_task")() == 1
    assert not IdempotencyRecord.objects.filter(actor=head, key="submit-once").exists()


def test_the_purge_is_a_scheduled_job():
    (job,) = [j for j in jobs() if j.name == "idempotency-purge"]
    assert import_string(job.task).name == job.task
    assert job.every_seconds >= 3600
