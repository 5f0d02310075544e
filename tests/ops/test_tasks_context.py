"""The request id travels with a Celery task enqueued during a request."""

from __future__ import annotations

from types import SimpleNamespace

from ops import tasks_context
from ops.context import current_request_id, request_id_var


def test_publishing_inside_a_request_adds_the_header():
    token = request_id_var.set("req-publish-0001")
    try:
        headers: dict = {}
        tasks_context._on_publish(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers == {"request_id": "req-publish-0001"}


def test_publishing_outside_a_request_adds_nothing():
    headers: dict = {}
    tasks_context._on_publish(headers=headers)
    assert headers == {}


def test_the_worker_runs_the_task_under_the_enqueuing_request_id():
    task = SimpleNamespace(request=SimpleNamespace(request_id="req-publish-0001"))
    tasks_context._on_prerun(task_id="t-1", task=task)
    assert current_request_id() == "req-publish-0001"
    tasks_context._on_postrun(task_id="t-1")
    assert current_request_id() == ""


def test_a_scheduled_task_gets_an_id_of_its_own():
    task = SimpleNamespace(request=SimpleNamespace())
    tasks_context._on_prerun(task_id="t-2", task=task)
    assert len(current_request_id()) == 32
    tasks_context._on_postrun(task_id="t-2")
    assert current_request_id() == ""
