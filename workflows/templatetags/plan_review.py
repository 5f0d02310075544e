"""What a reviewer and a drafter read about a plan's rounds, in words: the changes since the last
round (``planning.changes``), what is missing before submission (``planning.completeness``),
the appraisal lane and the line comments of an event. Used by the task page's and the
history's includes (templates/workflows/_changes.html, _missing.html, history.html)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import get_language

from planning import changes, completeness
from planning.models import Plan
from workflows import routes

register = template.Library()

# Where each missing part is written: the editor's sections (templates/planning/plan_edit.html).
EDITOR_ANCHORS = {"lines": "section-lines", "indicators": "section-indicators", "households": "section-households"}


@register.simple_tag
def plan_changes(plan: Plan) -> dict[str, Any] | None:
    """``{"since": round number, "changes": [Change]}``, or None before the first round."""
    since, rows = changes.since_last_round(plan)
    if since is None:
        return None
    return {"since": since, "changes": rows}


@register.simple_tag
def plan_missing(plan: Plan, options: list | None = None, can_edit: bool = False) -> list[dict[str, str]] | None:
    """What the plan lacks before it may be submitted, each with a link to where it is written
    (the editor for an officer who may edit, else the plan page); None when submitting is not
    an action of the plan now."""
    if not plan.is_editable or not any(getattr(o, "action", "") == "submit" for o in options or []):
        return None
    if completeness.rule_for(plan.plan_type, plan.unit.tier) is None:
        return None
    base = reverse("planning:edit" if can_edit else "planning:detail", args=[plan.pk])
    out = []
    for item in completeness.missing(plan):
        field = item["field"]
        anchor = EDITOR_ANCHORS.get(field, f"id_header-{field}") if can_edit else changes.ANCHORS.get(field, "")
        out.append({**item, "href": f"{base}#{anchor}" if anchor else base})
    return out


@register.simple_tag
def round_history(plan: Plan) -> list[changes.RoundChanges]:
    return changes.round_history(plan)


@register.simple_tag
def event_line_comments(event, plan: Plan) -> list[dict[str, str]]:
    """The line comments of a return, each line named by its catalogue item."""
    comments = (event.data or {}).get("line_comments") or []
    return changes.line_comments(plan, comments) if comments else []


@register.filter
def event_lane(event) -> str:
    """The appraisal lane an event was taken in ("Thẩm định vốn đầu tư"), from its step and the
    kind of its agency (workflows/data/routes.json); blank outside a parallel step."""
    if not event.step or event.agency is None:
        return ""
    try:
        spec = routes.step_spec(event.step)
    except KeyError:
        return ""
    lane = next((lane for lane in spec.lanes if lane.agency == event.agency.kind), None)
    if lane is None:
        return ""
    english = (get_language() or "vi").startswith("en")
    return lane.title_en if english and lane.title_en else lane.title_vi


@register.filter
def iso_date(value: Any) -> str:
    """An ISO date stored in an event's data ("2023-12-08") as officers write it (08/12/2023)."""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    try:
        return dt.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value or "")
