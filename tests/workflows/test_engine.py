"""The flow's completion path (workflows/engine.py): fewer statements than stock viewflow, the
same tasks, states and signals, and viewflow's own process lock wherever the plan's row lock
is not held."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task
from viewflow.workflow.signals import flow_finished, task_finished, task_started
from viewflow.workflow.status import STATUS

from directory import services as directory
from directory.models import Membership, User
from tests.complete import complete
from tests.workflows.conftest import C_DRAFTER, C_HEAD, D_HEAD, plan_of
from workflows import services
from workflows.models import WorkItem

PROCESS_LOCK = 'FROM "viewflow_process" WHERE "viewflow_process"."id" = %s LIMIT 1 FOR UPDATE NOWAIT'


@pytest.fixture
def signals():
    seen: list[tuple[str, str]] = []

    def receiver(name):
        def record(sender, task, **kwargs):
            seen.append((name, task.flow_task.name))

        return record

    receivers = [(signal, receiver(name)) for signal, name in ((task_started, "started"), (task_finished, "finished"))]
    receivers.append((flow_finished, receiver("flow_finished")))
    for signal, handler in receivers:
        signal.connect(handler)
    yield seen
    for signal, handler in receivers:
        signal.disconnect(handler)


def tasks_of(plan) -> list[Task]:
    process = WorkItem.objects.filter(plan=plan).values("process_id")[:1]
    return list(Task.objects.filter(process_id=process).order_by("id"))


@pytest.mark.django_db
def test_a_submission_completes_the_task_routes_on_and_opens_the_review(demo, signals):
    plan = complete(plan_of("03592"))
    head = User.objects.get(username=C_HEAD)
    draft = WorkItem.objects.get(plan=plan, is_open=True)
    with CaptureQueriesContext(connection) as captured:
        services.plan_act(actor=head, plan_id=plan.pk, action="submit")
    sql = [q["sql"] for q in captured.captured_queries]
    # Under plan_act the plan's row lock serialises the process: viewflow's lock is not taken.
    assert not [s for s in sql if "viewflow_process" in s and "FOR UPDATE" in s]
    done = Task.objects.get(pk=draft.task_id)
    assert (done.status, done.owner_id) == (STATUS.DONE, head.pk)
    assert done.started is not None and done.finished is not None and done.started <= done.finished
    switch, review = tasks_of(plan)[-2:]
    assert (switch.flow_task.name, switch.status) == ("route", STATUS.DONE)
    assert switch.finished is not None
    assert list(switch.previous.all()) == [done] and list(review.previous.all()) == [switch]
    assert (review.flow_task.name, review.status) == ("step", STATUS.NEW)
    assert WorkItem.objects.get(plan=plan, is_open=True).task_id == review.pk
    assert signals == [("started", "step"), ("finished", "step"), ("finished", "route")]


@pytest.mark.django_db
def test_an_acceptance_that_ends_the_route_finishes_the_process_once(demo, signals):
    plan = complete(plan_of("03592"))
    services.plan_act(actor=User.objects.get(username=C_HEAD), plan_id=plan.pk, action="submit")
    signals.clear()
    services.plan_act(actor=User.objects.get(username=D_HEAD), plan_id=plan.pk, action="accept")
    end = tasks_of(plan)[-1]
    assert (end.flow_task.name, end.status) == ("finish", STATUS.DONE)
    assert end.started is not None and end.finished is not None
    assert end.process.status == STATUS.DONE and end.process.finished is not None
    assert not Task.objects.filter(process=end.process, finished__isnull=True).exists()
    assert signals[-3:] == [("started", "finish"), ("finished", "finish"), ("flow_finished", "finish")]
    assert signals.count(("flow_finished", "finish")) == 1


@pytest.mark.django_db
def test_outside_plan_act_the_process_lock_is_viewflows(demo, admin_user):
    """The directory's receiver hands a returned plan's task back to the agency: it holds no
    plan row lock, so the flow takes viewflow's own ``SELECT … FOR UPDATE NOWAIT``."""
    plan = complete(plan_of("03592"))
    drafter = User.objects.get(username=C_DRAFTER)
    plan.last_edited_by = drafter
    plan.save(update_fields=["last_edited_by"])
    services.plan_act(actor=User.objects.get(username=C_HEAD), plan_id=plan.pk, action="submit")
    services.plan_act(actor=User.objects.get(username=D_HEAD), plan_id=plan.pk, action="return", comment="Bổ sung")
    item = WorkItem.objects.get(plan=plan, is_open=True)
    assert item.assignee_id == drafter.pk
    with CaptureQueriesContext(connection) as captured:
        for membership in Membership.objects.filter(user=drafter, agency__unit=plan.unit):
            directory.membership_remove(actor=admin_user, membership=membership)
    assert any(PROCESS_LOCK % item.process_id in q["sql"] for q in captured.captured_queries)
    task = Task.objects.get(pk=item.task_id)
    assert (task.status, task.owner_id) == (STATUS.NEW, None)
    assert WorkItem.objects.get(pk=item.pk).assignee_id is None
