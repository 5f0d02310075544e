"""``{% plan_route plan %}``: the picture of a plan's route (templates/workflows/_route.html),
on the task page and the plan page."""

from __future__ import annotations

from django import template

from planning.models import Plan
from workflows.task_selectors import route_of

register = template.Library()


@register.inclusion_tag("workflows/_route.html")
def plan_route(plan: Plan) -> dict:
    return {"plan": plan, "steps": route_of(plan)}
