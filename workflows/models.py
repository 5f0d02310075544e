"""The work side of a plan: its viewflow process and the open tasks, indexed for inboxes.

viewflow's own task table answers "what does the engine wait for"; ``WorkItem`` answers
"what is in this agency's or this officer's inbox" with indexed columns (agency, assignee,
plan, due date), so an inbox never filters by guardian's permission concatenation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process, Task

from directory.models import AdministrativeUnit, Agency
from planning.models import Plan


class PlanProcess(Process):
    """A plan's route through the workflow. ``artifact`` is the plan; ``data`` keeps the step."""

    class Meta:
        proxy = True
        verbose_name = _("quy trình kế hoạch")
        verbose_name_plural = _("quy trình kế hoạch")

    @property
    def step(self) -> str:
        return self.data.get("step", "")

    @property
    def plan_id(self) -> int:
        return self.data["plan"]


class WorkItem(models.Model):
    """One task of the workflow as an inbox row."""

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="work_item")
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="work_items")
    step = models.CharField(_("bước"), max_length=32)
    lane = models.CharField(_("nhánh"), max_length=32, blank=True)
    # Who may act: the agency (any officer with the action's role), or one officer when set.
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="work_items")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="work_items"
    )
    is_open = models.BooleanField(default=True)
    due_at = models.DateTimeField(_("hạn"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("kết quả"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("công việc")
        verbose_name_plural = _("công việc")
        indexes = [
            # Inbox: open items of the caller's agencies, soonest due first.
            models.Index(fields=["agency", "is_open", "due_at"], name="workitem_agency_open_due"),
            # Inbox: items assigned to the caller personally.
            models.Index(fields=["assignee", "is_open", "due_at"], name="workitem_assignee_open_due"),
            # The open item(s) of a plan, looked up on every action.
            models.Index(fields=["plan", "is_open"], name="workitem_plan_open"),
            # Deadline sweep: open items by due date.
            models.Index(fields=["is_open", "due_at"], name="workitem_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}:{self.step}{'/' + self.lane if self.lane else ''}"

    @property
    def title(self) -> str:
        """The step (or lane) as officers name it, in the active language."""
        from workflows.routes import step_spec

        spec = step_spec(self.step)
        lane = next((lane for lane in spec.lanes if lane.name == self.lane), None)
        if lane is None:
            return spec.title
        return lane.title_en if spec.title == spec.title_en else lane.title_vi
