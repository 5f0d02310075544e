"""viewflow's task completion with the fewest round trips viewflow allows, by subclassing its
nodes and activations (never patching them).

Stock viewflow, for one human task completed by ``plan_act``, costs 14 statements: a savepoint
and ``SELECT … FOR UPDATE NOWAIT`` on the process row, the task and its process read again, one
``UPDATE`` of the task per state it passes (assigned, started, done), and for the route's switch
an ``INSERT`` of a new task, a savepoint around its condition and an ``UPDATE`` to mark it done.
Here:

* ``PlanLock``: where the caller already holds the plan's row lock (``plan_act`` takes it before
  anything else, and every change to a plan's process goes through ``plan_act``), the process
  lock would serialise nothing more, so it is not taken again; everywhere else (viewflow's own
  pages, the directory's signal receivers) it is viewflow's ``SELECT … FOR UPDATE NOWAIT``.
* ``HumanTaskActivation.complete_by``: the task, already loaded with its process after the
  plan's row lock, is completed by the acting officer in one write (owner, started, finished,
  status) instead of three.
* ``RouteSwitchActivation``: the switch picks its branch while its task is built, so the task
  is inserted already done: one ``INSERT`` instead of an ``INSERT``, a savepoint pair and an
  ``UPDATE``.
* ``FinishActivation``: the same for the end: the process is finished (when nothing else is
  open) before the end's task is inserted, already done.

Signals (``task_started``, ``task_finished``) are sent as viewflow sends them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection
from django.utils.timezone import now
from viewflow.workflow import flow, lock
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.end import EndActivation
from viewflow.workflow.nodes.switch import SwitchActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import flow_finished, task_finished, task_started
from viewflow.workflow.status import PROCESS, STATUS

# The process whose plan row this transaction holds locked (set by ``under_plan_lock``).
_held_process: ContextVar[int | None] = ContextVar("held_process", default=None)


@contextmanager
def under_plan_lock(process_id: int) -> Iterator[None]:
    """Declare that the caller holds the row lock of the plan of process ``process_id``."""
    token = _held_process.set(process_id)
    try:
        yield
    finally:
        _held_process.reset(token)


class PlanLock:
    """The flow's ``lock_impl``: nothing more under the plan's row lock, viewflow's otherwise."""

    def __init__(self) -> None:
        self.fallback = lock.SelectForUpdateLock(nowait=True)

    @contextmanager
    def __call__(self, flow_class: Any, process_pk: int) -> Iterator[None]:
        if _held_process.get() == process_pk and connection.in_atomic_block:
            yield
            return
        with self.fallback(flow_class, process_pk):
            yield


class HumanTaskActivation(ViewActivation):
    """A human task of the plan's route, completed from the project's own task page."""

    def complete_by(self, user: Any) -> None:
        """Complete the open task as ``user`` and route on (viewflow's assign, start and
        execute, with one write of the task). The caller holds the process lock."""
        task = self.task
        if task.status not in (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED):
            raise FlowRuntimeError(f"Task {task.pk} is {task.status}, not open")
        task.owner = user
        if task.started is None:
            task.started = now()
        task.status = STATUS.STARTED
        task_started.send(sender=self.flow_class, process=self.process, task=task)
        self.execute()  # complete (the one save) and activate_next


class HumanTask(flow.View):
    activation_class = HumanTaskActivation


def _new_task(flow_task: Any, prev_activation: Any, token: Any, data: Any, seed: Any) -> Any:
    task = flow_task.flow_class.task_class(process=prev_activation.process, flow_task=flow_task, token=token)
    task.data = data if data is not None else {}
    task.seed = seed
    return task


def _insert_done(activation: Any, prev_activation: Any) -> None:
    """Insert the activation's task already done, linked to the task before it."""
    task = activation.task
    task.status = STATUS.DONE
    task.finished = now()
    task.save()
    task.previous.add(prev_activation.task)
    task_finished.send(sender=activation.flow_class, process=activation.process, task=task)


class RouteSwitchActivation(SwitchActivation):
    """The switch's task is inserted already done, with its branch chosen."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):  # type: ignore[no-untyped-def]
        activation = cls(_new_task(flow_task, prev_activation, token, data, seed))
        activation.next_task = activation.choose()
        _insert_done(activation, prev_activation)
        return activation

    def choose(self) -> Any:
        for node, cond in self.flow_task._branches:
            if cond is None or cond(self):
                return node
        raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class RouteSwitch(flow.Switch):
    activation_class = RouteSwitchActivation


class FinishActivation(EndActivation):
    """The end finishes the process unless a task is still open (viewflow's rule), and its own
    task is inserted already done."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):  # type: ignore[no-untyped-def]
        activation = cls(_new_task(flow_task, prev_activation, token, data, seed))
        task, process = activation.task, activation.process
        task.started = now()
        task_started.send(sender=activation.flow_class, process=process, task=task)
        task_class = activation.flow_class.task_class
        finished = not task_class._default_manager.filter(process=process, finished__isnull=True).exists()
        if finished:
            process.status = PROCESS.DONE
            process.finished = now()
            process.save()
        _insert_done(activation, prev_activation)
        if finished:
            flow_finished.send(sender=activation.flow_class, process=process, task=task)
        return activation


class Finish(flow.End):
    activation_class = FinishActivation
