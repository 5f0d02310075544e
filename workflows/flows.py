"""One generic viewflow flow per plan: the route comes from data (workflows/routes.py).

    start ─▶ route ─┬─▶ step (one human task) ─────────────────▶ route
                    ├─▶ lanes (split) ─▶ lane_1, lane_2 ─▶ join ─▶ route
                    └─▶ finish

``process.data["step"]`` names the current step of the plan's route; the services in
``workflows.services`` set it and then complete the task, so ``route`` sends the process on.
Parallel steps (the province's appraisal by planning/investment and finance) use the split;
the open-source viewflow has no data-driven split, so a parallel step has at most two lanes.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.models import Task

from workflows import engine
from workflows.models import PlanProcess
from workflows.routes import END, step_spec


def task_page(request: HttpRequest, **kwargs) -> HttpResponseRedirect:
    """viewflow's own "execute task" URL leads to the project's task page (which checks access)."""
    task = get_object_or_404(Task, pk=kwargs["task_pk"])
    return HttpResponseRedirect(reverse("workflows:plan-task", args=[task.process.data.get("plan")]))


def _acting_unit(process) -> object:
    """The unit whose agencies hold the task (viewflow's own permission object)."""
    from workflows import services

    return services.acting_unit_for_process(process)


class PlanFlow(flow.Flow):
    process_class = PlanProcess
    # Without a process lock two branches reaching the join at once can leave the process
    # stuck; under ``plan_act`` the plan's row lock is that lock (workflows/engine.py).
    lock_impl = engine.PlanLock()

    process_title = "Quy trình phê duyệt kế hoạch"
    process_description = "Soạn → thẩm định → phê duyệt → báo cáo, theo tuyến của loại kế hoạch."

    start = flow.StartHandle(this.start_process).Next(this.route)

    route = (
        engine.RouteSwitch()
        .Case(this.finish, cond=lambda activation: activation.process.data.get("step") == END)
        .Case(this.lanes, cond=lambda activation: step_spec(activation.process.data["step"]).is_parallel)
        .Default(this.step)
    )

    step = (
        engine.HumanTask(task_page)
        .Permission("directory.operate_unit", obj=_acting_unit)
        .Assign(this.step_owner)
        .onCreate(this.on_task_created)
        .Next(this.route)
    )

    lanes = (
        flow.Split()
        .Next(this.lane_1, case=lambda activation: len(_lanes(activation)) >= 1)
        .Next(this.lane_2, case=lambda activation: len(_lanes(activation)) >= 2)
    )
    lane_1 = (
        engine.HumanTask(task_page)
        .Permission("directory.operate_unit", obj=_acting_unit)
        .onCreate(this.on_task_created)
        .Next(this.join)
    )
    lane_2 = (
        engine.HumanTask(task_page)
        .Permission("directory.operate_unit", obj=_acting_unit)
        .onCreate(this.on_task_created)
        .Next(this.join)
    )
    # A lane that returns the plan ends the parallel step at once: the other lane is cancelled.
    join = flow.Join(continue_on_condition=this.lanes_interrupted).Next(this.route)

    finish = engine.Finish()

    def start_process(self, activation, plan, step, returned=False):
        activation.process.artifact = plan
        activation.process.data = {"plan": plan.pk, "step": step, "returned": returned}
        return activation.process

    def step_owner(self, activation):
        from workflows import services

        return services.step_owner(activation.process)

    def on_task_created(self, activation):
        from workflows import services

        services.work_item_open(activation)

    def lanes_interrupted(self, activation, active_tasks) -> bool:
        return not step_spec(activation.process.data["step"]).is_parallel

    def has_view_permission(self, user, obj=None):
        """viewflow's own pages: the process of a plan the user can see; lists for superusers only.

        Closes viewflow's default leak (upstream issue #505), where the model-level view
        permission opened every agency's processes, tasks, dashboard and task lists.
        """
        if user.is_superuser:
            return True
        if obj is None:
            return False
        from workflows import services

        return services.user_can_see_process(user, obj)

    def has_manage_permission(self, user, obj=None):
        return user.is_superuser


def _lanes(activation):
    return step_spec(activation.process.data["step"]).lanes
