"""/metrics: who may read it, and what it says."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from directory.models import User
from notifications.models import Notification
from notifications.services import notify
from workflows.models import WorkItem

TOKEN = "scrape-token-for-tests-0123456789"


@pytest.fixture
def metrics_settings(wired):
    wired.METRICS_TOKEN = TOKEN
    wired.METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32", "10.20.0.0/16"]
    return wired


def _sample(text: str, series: str) -> float:
    line = next(ln for ln in text.splitlines() if ln.startswith(series + " "))
    return float(line.rsplit(" ", 1)[1])


def test_a_scrape_from_localhost_is_allowed(client, metrics_settings, db):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")


def test_an_allowed_network_may_scrape(client, metrics_settings, db):
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200


def test_an_outside_address_is_refused_without_the_token(client, metrics_settings, db):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403


def test_the_bearer_token_opens_metrics_from_anywhere(client, metrics_settings, db):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200


def test_no_token_configured_means_no_token_accepted(client, metrics_settings, db):
    metrics_settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", headers={"Authorization": "Bearer "}).status_code == 403


def test_requests_are_counted_by_method_and_status_class(client, metrics_settings, db):
    def count(status: str) -> float:
        return REGISTRY.get_sample_value("ctmtqg_http_requests_total", {"method": "GET", "status": status}) or 0.0

    ok_before, missing_before = count("2xx"), count("4xx")
    client.get("/login/")
    client.get("/no-such-page/")
    client.get("/healthz")  # probes are not counted
    assert count("2xx") == ok_before + 1
    assert count("4xx") == missing_before + 1
    body = client.get("/metrics").content.decode()
    assert 'ctmtqg_http_request_duration_seconds_bucket{le="0.25",method="GET",status="2xx"}' in body


def test_unusual_methods_share_one_label(client, metrics_settings, db):
    before = REGISTRY.get_sample_value("ctmtqg_http_requests_total", {"method": "other", "status": "4xx"}) or 0.0
    client.generic("PROPFIND", "/login/")
    assert REGISTRY.get_sample_value("ctmtqg_http_requests_total", {"method": "other", "status": "4xx"}) == before + 1


def test_overdue_tasks_and_delivery_lag_are_read_from_the_database(client, metrics_settings, demo):
    open_items = WorkItem.objects.filter(is_open=True).order_by("pk")
    late = list(open_items.values_list("pk", flat=True)[:3])
    WorkItem.objects.filter(pk__in=late).update(due_at=timezone.now() - dt.timedelta(days=2))
    WorkItem.objects.exclude(pk__in=late).update(due_at=timezone.now() + dt.timedelta(days=2))
    # Delivery runs on commit, which never comes inside a test transaction: the rows stay pending.
    officers = User.objects.filter(memberships__isnull=False).distinct()[:2]
    created = notify(recipients=officers, kind="info", plan=None, link="/", text_vi="Thông báo thử", text_en="Test")
    Notification.objects.filter(pk=created[0].pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    unpushed = Notification.objects.filter(pushed_at__isnull=True)

    body = client.get("/metrics").content.decode()
    assert _sample(body, "ctmtqg_overdue_tasks") == 3
    assert _sample(body, 'ctmtqg_notifications_pending{channel="push"}') == unpushed.count()
    assert _sample(body, 'ctmtqg_notification_delivery_lag_seconds{channel="push"}') >= 600
    assert _sample(body, 'ctmtqg_metrics_source_up{source="database"}') == 1


@pytest.mark.redis
def test_queue_depth_comes_from_redis_llen(client, metrics_settings, settings, db):
    """Each queue's depth, read from the real Redis: the default queue and the pushes' own."""
    import redis

    metrics_settings.REDIS_URL = settings.TEST_REDIS_URL
    redis_client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    redis_client.delete("celery", "push")
    try:
        redis_client.rpush("celery", *[f"message-{n}" for n in range(7)])
        redis_client.rpush("push", "message-a", "message-b")
        body = client.get("/metrics").content.decode()
    finally:
        redis_client.delete("celery", "push")
    assert _sample(body, 'ctmtqg_celery_queue_length{queue="celery"}') == 7
    assert _sample(body, 'ctmtqg_celery_queue_length{queue="push"}') == 2
    assert _sample(body, 'ctmtqg_metrics_source_up{source="redis"}') == 1


def test_an_unreachable_redis_is_reported_not_hidden(client, metrics_settings, db, monkeypatch):
    import redis

    def refuse(cls, url, **kw):
        raise redis.ConnectionError("refused")

    metrics_settings.REDIS_URL = "redis://127.0.0.1:6379/9"
    monkeypatch.setattr(redis.Redis, "from_url", classmethod(refuse))
    body = client.get("/metrics").content.decode()
    assert "ctmtqg_overdue_tasks" in body  # the database gauges still answer
    assert _sample(body, 'ctmtqg_metrics_source_up{source="redis"}') == 0
    assert "ctmtqg_celery_queue_length{" not in body
