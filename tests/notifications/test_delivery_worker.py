"""A committed request hands its notifications to a worker in one broker message: the push and
the e-mails are the worker's part (``notifications.tasks.deliver_task``), which hands the
commit's e-mails on as one more message (``deliver_emails_task``). Real Redis broker."""

from __future__ import annotations

import base64
import json

import pytest
import redis
from django.db import transaction

from config.celery import app
from notifications import services
from notifications.models import Notification
from tests.notifications.helpers import notice, redis_layers

QUEUES = ("push", "celery")  # Celery queues: Redis lists of those names on the broker


@pytest.fixture
def broker(settings, monkeypatch):
    """Celery as production runs it (not eager), on the test Redis; the queue emptied around."""
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    client.delete(*QUEUES)
    settings.NOTIFICATIONS_VIA_WORKER = True
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", settings.TEST_REDIS_URL)
    yield client
    client.delete(*QUEUES)


def queued(client, queue: str) -> list[tuple[str, list]]:
    """(task name, args) of every message waiting in ``queue``, oldest first."""
    out = []
    for raw in reversed(client.lrange(queue, 0, -1)):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        out.append((message["headers"]["task"], args))
    return out


@pytest.mark.redis
def test_the_request_enqueues_one_message_and_the_worker_pushes_and_mails(
    officer, broker, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.CHANNEL_LAYERS = redis_layers(settings.TEST_REDIS_URL, "deliver-worker")
    alice, bob, carol = officer(), officer(), officer()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows = services.notify(
            recipients=[alice, bob, carol], kind="task", plan=None, link="/plans/1/", text_vi="Việc mới", text_en="New"
        )
    # The request did not push (no Redis send per recipient) and enqueued one message.
    assert Notification.objects.filter(pk__in=[r.pk for r in rows], pushed_at__isnull=True).count() == 3
    # On its own queue: a commit's pushes never wait behind the e-mails.
    ((task, (pairs,)),) = queued(broker, "push")
    assert task == "notifications.tasks.deliver_task"
    assert queued(broker, "celery") == []
    assert sorted(map(tuple, pairs)) == sorted((r.pk, r.recipient_id) for r in rows)

    # The worker's part: every row pushed, and one e-mail message for the whole commit, on the
    # default queue (the push worker never sends mail).
    broker.delete(*QUEUES)
    app.tasks[task].apply(args=[pairs])
    assert not Notification.objects.filter(pk__in=[r.pk for r in rows], pushed_at__isnull=True).exists()
    assert queued(broker, "push") == []
    ((email_task, (ids,)),) = queued(broker, "celery")
    assert email_task == "notifications.tasks.deliver_emails_task"
    assert sorted(ids) == sorted(r.pk for r in rows)

    # The mail worker's part: that one message mails the three.
    assert mailoutbox == []
    app.tasks[email_task].apply(args=[ids])
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in (alice, bob, carol))


@pytest.mark.redis
def test_with_the_broker_down_the_commit_stands_and_the_rows_wait_for_the_jobs(
    officer, broker, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")  # nothing listens there
    monkeypatch.setattr(app, "_pool", None)  # connections are made again, to that address
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    alice = officer()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        (row,) = notice(alice)  # the approval's transaction: nothing raises
    row.refresh_from_db()
    assert (row.pushed_at, row.emailed_at) == (None, None)  # left for push_pending and the e-mail job
    assert "cannot hand 1 notification(s) to a worker (broker down)" in caplog.text
    assert services.broker_circuit.is_open
