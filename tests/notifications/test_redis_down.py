"""Redis down: approvals and logins go on, notifications wait in the outbox, and the push job
delivers them once Redis is back. "Down" is a Redis layer at a port where nothing listens; the
machine's real Redis is never stopped."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.urls import reverse

from directory.demo import DEMO_PASSWORD
from notifications import services, tasks
from notifications.models import Notification
from tests.complete import complete
from tests.notifications.conftest import REVIEWER
from tests.notifications.helpers import (
    CLOSED_REDIS_URL,
    notice,
    notify_async,
    open_and_sync,
    redis_layers,
    session_cookie,
)


def test_notify_commits_with_redis_down_and_leaves_the_row_unpushed(
    officer, settings, django_capture_on_commit_callbacks, caplog
):
    settings.CHANNEL_LAYERS = redis_layers(CLOSED_REDIS_URL, "down")
    alice = officer()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        (row,) = notice(alice)  # the approval's transaction: nothing raises
    row.refresh_from_db()
    assert row.pushed_at is None
    assert "left for push_pending_task" in caplog.text
    assert services.push_circuit.is_open

    # The next approvals do not even wait for Redis: the circuit sends them to the job.
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notice(alice, n=2)
    assert time.monotonic() - started < 0.5
    assert Notification.objects.filter(recipient=alice, pushed_at__isnull=True).count() == 2


def test_push_job_keeps_rows_while_redis_is_still_down(officer, settings, monkeypatch):
    settings.CHANNEL_LAYERS = redis_layers(CLOSED_REDIS_URL, "down")
    monkeypatch.setattr(services, "PUSH_RETRY_AFTER", timedelta(0))
    (row,) = notice(officer())  # inside the test's transaction: no on-commit push
    assert tasks.push_pending_task() == 0
    row.refresh_from_db()
    assert row.pushed_at is None


def test_login_does_not_touch_redis(demo, client, settings):
    settings.CHANNEL_LAYERS = redis_layers(CLOSED_REDIS_URL, "down")
    settings.CELERY_BROKER_URL = CLOSED_REDIS_URL
    response = client.post(reverse("login"), {"username": REVIEWER, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_push_job_delivers_to_a_connected_socket_once_redis_is_back(officer, settings, monkeypatch):
    prefix = f"test-notif-{uuid.uuid4().hex[:8]}"
    working, down = redis_layers(settings.TEST_REDIS_URL, prefix), redis_layers(CLOSED_REDIS_URL, prefix)
    monkeypatch.setattr(services, "PUSH_RETRY_AFTER", timedelta(0))
    alice = officer()
    cookie = session_cookie(alice)
    settings.CHANNEL_LAYERS = working

    async def scenario():
        socket_layer = get_channel_layer()
        communicator, received, _ = await open_and_sync(cookie)  # the socket's server still has Redis
        assert received == []

        settings.CHANNEL_LAYERS = down  # the web process that approves loses Redis
        (row,) = await notify_async(alice)
        await database_sync_to_async(row.refresh_from_db)()
        assert row.pushed_at is None
        assert await communicator.receive_nothing(timeout=0.3)

        settings.CHANNEL_LAYERS = working  # Redis is back; the scheduled job runs
        assert await database_sync_to_async(tasks.push_pending_task)() == 1
        message = await communicator.receive_json_from(timeout=5)
        assert message["type"] == "notification"
        assert message["notification"]["id"] == row.id
        await database_sync_to_async(row.refresh_from_db)()
        assert row.pushed_at is not None
        assert not services.push_circuit.is_open  # requests push directly again
        assert await database_sync_to_async(tasks.push_pending_task)() == 0

        await communicator.disconnect()
        for layer in {socket_layer, get_channel_layer()}:
            await layer.close_pools()

    async_to_sync(scenario)()


def test_a_plan_transition_succeeds_with_redis_down_and_its_notification_is_pushed_once_back(
    demo, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The issue's scenario end to end: a commune head submits while Redis is down; the
    submission commits and the district reviewer's notification waits in the outbox; once the
    layer answers again the pending job pushes it."""
    from directory.models import User
    from planning.models import Plan
    from workflows import services as workflow_services

    plan = Plan.objects.get(unit__structure="three-tier", unit__code="03592", cycle__year=2023, plan_type="annual")
    plan = complete(plan)
    settings.CHANNEL_LAYERS = redis_layers(CLOSED_REDIS_URL, "down")
    settings.CELERY_BROKER_URL = CLOSED_REDIS_URL
    with django_capture_on_commit_callbacks(execute=True):
        result = workflow_services.plan_act(
            actor=User.objects.get(username="t3-c03592-ubnd-head"), plan_id=plan.pk, action="submit"
        )
    assert result["status"] == "submitted"
    waiting = Notification.objects.filter(recipient__username="t3-d109-labour-head", plan=plan, pushed_at__isnull=True)
    assert waiting.count() == 1

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}  # Redis is back
    services.push_circuit.reset()
    monkeypatch.setattr(services, "PUSH_RETRY_AFTER", timedelta(0))
    assert tasks.push_pending_task() >= 1
    assert not waiting.exists()
