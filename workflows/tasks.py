"""Scheduled work of the workflow engine.

viewflow 2.4 stores timers and conditional catches durably but ships no beat task that fires
them; this thin task does, on the schedule in config.schedule.
"""

from celery import shared_task
from viewflow.workflow.timers import fire_due_conditions, fire_due_timers


@shared_task
def fire_workflow_timers_task() -> dict[str, int]:
    return {"timers": fire_due_timers(), "conditions": fire_due_conditions()}
