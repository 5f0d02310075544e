"""The flow's answers to the directory's signals (connected in ``WorkflowsConfig.ready``)."""

from __future__ import annotations

from viewflow.workflow.status import STATUS

from directory.models import Agency, User
from workflows.models import WorkItem


def tasks_back_to_agency(*, user: User, agency: Agency, **_kwargs) -> None:
    """An officer who left an agency keeps none of its tasks: each open task of the agency
    assigned to them (a plan returned to its last editor) goes back to the agency's inbox, and
    viewflow's task is unassigned with it (under the process lock)."""
    for item in WorkItem.objects.filter(agency=agency, assignee=user, is_open=True).select_related("task"):
        with item.task.activation() as activation:
            if activation.task.status == STATUS.ASSIGNED and activation.task.owner_id == user.pk:
                activation.unassign()
        WorkItem.objects.filter(pk=item.pk).update(assignee=None)
