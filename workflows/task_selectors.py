"""Reads for the task page: who holds a step (a role in a unit, not just an agency), what an
action will do and to whom (its confirmation), where the plan is after it, and the picture of
the plan's route (steps done, current, next, with who and when).

Each function costs a small, fixed number of queries: the route has at most five steps, and the
role holders of every agency on the page are read in one query (``authorities``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from approvals import selectors as decisions
from directory.models import Agency, Membership, Role, Tier
from directory.services import unit_label
from planning.models import EDITABLE_STATUSES, Plan, PlanStatus
from workflows import routes
from workflows.models import WorkItem
from workflows.services import Option, RouteOption

# Actions that move a plan forward at the step where they are taken (a return does not: the
# step it happened at is not "done").
FORWARD = ("submit", "accept", "approve", "report", "acknowledge", "issue_guidance")


def _holder_phrase(title: str, agency: Agency) -> str:
    """“Chủ tịch” + UBND + “xã Sin Suối Hồ” → “Chủ tịch UBND xã Sin Suối Hồ”; a title that
    already ends the way the agency's short name begins is not repeated (“Giám đốc Sở” + “Sở
    LĐTBXH” → “Giám đốc Sở LĐTBXH tỉnh Lai Châu”, “Chánh Văn phòng HĐND” + “HĐND”)."""
    short = agency.short_name or ""
    title_words, short_words = title.split(), short.split()
    if short_words and title_words and title_words[-1].lower() == short_words[0].lower():
        short = " ".join(short_words[1:])
    elif short and title.lower().endswith(short.lower()):
        short = ""
    place = "" if agency.unit.tier == Tier.NATION else unit_label(agency.unit)
    return " ".join(part for part in (title, short, place) if part)


def authorities(pairs: Iterable[tuple[Agency, tuple[str, ...]]]) -> dict[tuple[int, tuple[str, ...]], str]:
    """For each (agency, roles): who may act, as a role in a unit (“Chủ tịch UBND xã Sin Suối
    Hồ”), from the titles of the officers holding those roles (the principal, not a deputy,
    first); without a title, the role's name and the agency. One query for all pairs."""
    pairs = [(agency, tuple(roles)) for agency, roles in pairs if agency is not None]
    if not pairs:
        return {}
    rows = (
        Membership.objects.filter(agency_id__in={agency.pk for agency, _roles in pairs})
        .values_list("agency_id", "role", "title")
        .order_by("agency_id", "id")
    )
    titles: dict[tuple[int, str], list[str]] = {}
    for agency_id, role, title in rows:
        if title:
            titles.setdefault((agency_id, role), []).append(title)
    out = {}
    for agency, roles in pairs:
        found = [t for role in roles for t in titles.get((agency.pk, role), [])]
        principal = [t for t in found if not t.lower().startswith("phó")] or found
        if principal:
            out[(agency.pk, roles)] = _holder_phrase(principal[0], agency)
        else:
            names = ", ".join(str(Role(role).label) for role in roles if role in Role.values)
            out[(agency.pk, roles)] = f"{names} — {agency.name}"
    return out


def _roles_of(option: Option) -> tuple[str, ...]:
    if isinstance(option, RouteOption):
        return routes.step_spec(option.item.step).actions[option.action].roles
    return (Role.HEAD,)  # waive, reopen, amend: the head of the agency (workflows.services)


@dataclass
class OptionView:
    """An option as the task page shows it: its form, its button's look, the confirmation text
    and, when the officer may not act, who may."""

    option: Option
    style: str  # primary | secondary | danger
    confirm: str
    authority: str = ""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.option, name)


STYLES = {
    "submit": "primary",
    "accept": "primary",
    "approve": "primary",
    "report": "primary",
    "acknowledge": "primary",
    "issue_guidance": "primary",
    "return": "secondary",
    "reopen": "secondary",
    "amend": "secondary",
    "waive": "danger",
}


def _drafter_phrase(plan: Plan) -> str:
    if plan.last_edited_by_id:
        return plan.last_edited_by.display_name
    agency = routes.standing_agency(plan.unit, plan.cycle.period.code)
    return agency.name if agency else plan.unit.name


def _next_agencies(plan: Plan, step: str) -> str:
    spec = routes.step_spec(step)
    lanes = spec.lanes or (None,)
    names = [a.name for a in (routes.acting_agency(plan, spec, lane) for lane in lanes) if a is not None]
    return _(" và ").join(names) if names else "—"


def confirmation(plan: Plan, option: Option) -> str:
    """What the action will do and to whom, in one sentence (the confirmation dialog's text)."""
    label = option.label
    if option.action == "waive":
        return _(
            "Miễn kế hoạch của %(unit)s: %(agency)s không chờ kế hoạch này nữa; các việc đang mở của kế hoạch bị hủy."
        ) % {"unit": plan.unit.name, "agency": option.agency.name if option.agency else ""}
    if option.action == "reopen":
        return _("Mở lại và trả kế hoạch về %(unit)s (người soạn: %(person)s).") % {
            "unit": plan.unit.name,
            "person": _drafter_phrase(plan),
        }
    if option.action == "amend":
        first = routes.first_step(plan)
        return _("Mở một lần điều chỉnh mới: kế hoạch về bước “%(step)s” tại %(agency)s.") % {
            "step": routes.step_spec(first).title,
            "agency": _next_agencies(plan, first),
        }
    if not isinstance(option, RouteOption):  # a side action not named above
        return label
    step = option.item.step
    goto = routes.resolve_goto(plan, step, routes.step_spec(step).actions[option.action].goto)
    if goto == "draft":
        return _("Trả kế hoạch về %(unit)s (người soạn: %(person)s).") % {
            "unit": plan.unit.name,
            "person": _drafter_phrase(plan),
        }
    if goto == routes.END:
        target = routes.END_STATUS.get(option.action)
        return _("%(action)s: kế hoạch của %(unit)s kết thúc tuyến với trạng thái “%(status)s”.") % {
            "action": label,
            "unit": plan.unit.name,
            "status": PlanStatus(target).label if target else "",
        }
    spec = routes.step_spec(goto)
    if spec.is_parallel and goto == step:
        return _("%(action)s phần thẩm định của bạn; kế hoạch còn chờ cơ quan thẩm định còn lại.") % {"action": label}
    return _("%(action)s: chuyển kế hoạch tới %(agency)s — bước “%(step)s”.") % {
        "action": label,
        "agency": _next_agencies(plan, goto),
        "step": spec.title,
    }


def option_views(plan: Plan, options: list[Option]) -> list[OptionView]:
    """The task page's options, each with its style, confirmation and (if not the officer's)
    who may take it."""
    holders = authorities((o.agency, _roles_of(o)) for o in options if not o.allowed and o.agency)
    views = []
    for option in options:
        views.append(
            OptionView(
                option=option,
                style=STYLES.get(option.action, "secondary"),
                confirm=confirmation(plan, option) if option.allowed else "",
                authority=holders.get((option.agency.pk, _roles_of(option)), "") if option.agency else "",
            )
        )
    return views


def whereabouts(plan: Plan) -> str:
    """Where the plan is now and who holds it (the message after an action)."""
    items = list(WorkItem.objects.filter(plan=plan, is_open=True).select_related("agency__unit").order_by("pk"))
    if not items:
        return _("Kế hoạch đang ở trạng thái “%(status)s”; không còn bước nào đang mở.") % {
            "status": plan.get_status_display()
        }
    holders = authorities((item.agency, _step_roles(item.step)) for item in items)
    parts = []
    for item in items:
        spec = routes.step_spec(item.step)
        lane = next((lane for lane in spec.lanes if lane.name == item.lane), None)
        parts.append(
            _("bước “%(step)s” tại %(agency)s (người xử lý: %(holder)s)")
            % {
                "step": lane.title_vi if lane and _is_vi() else (lane.title_en if lane else spec.title),
                "agency": item.agency.name,
                "holder": holders.get((item.agency.pk, _step_roles(item.step)), item.agency.name),
            }
        )
    return _("Kế hoạch hiện ở %(where)s.") % {"where": "; ".join(parts)}


def _is_vi() -> bool:
    from django.utils.translation import get_language

    return not (get_language() or "vi").startswith("en")


def _step_roles(step: str) -> tuple[str, ...]:
    """The roles that take the step's forward action (the first action listed)."""
    spec = routes.step_spec(step)
    first = next(iter(spec.actions.values()))
    return first.roles


def _lane_title(lane: routes.Lane) -> str:
    return lane.title_vi if _is_vi() else lane.title_en


def route_of(plan: Plan) -> list[dict[str, Any]]:
    """The steps of the plan's route at its level, each ``done``, ``current``, ``next`` or
    ``skipped`` (a waived plan's steps it will not take), with who and when: the last forward
    action of a done step (officer, agency, time), the open tasks of the current one (agency,
    officer, due date), the agency of a next one."""
    names = routes.steps_for(plan)
    items = list(WorkItem.objects.filter(plan=plan, is_open=True).select_related("agency", "assignee").order_by("pk"))
    events = [e for e in decisions.history(plan) if e.action in FORWARD]
    open_steps = {item.step for item in items}
    if open_steps:
        current = min(names.index(s) for s in open_steps if s in names) if open_steps & set(names) else 0
    elif plan.status in EDITABLE_STATUSES:
        current = 0
    else:
        current = len(names)
    out = []
    for index, name in enumerate(names):
        spec = routes.step_spec(name)
        entry: dict[str, Any] = {"name": name, "title": spec.title, "number": index + 1}
        if name in open_steps:
            entry["state"] = "current"
            entry["tasks"] = [
                {
                    "title": _lane_title(next(lane for lane in spec.lanes if lane.name == item.lane))
                    if item.lane
                    else spec.title,
                    "agency": item.agency.name,
                    "assignee": item.assignee.display_name if item.assignee_id else "",
                    "due_at": item.due_at,
                }
                for item in items
                if item.step == name
            ]
            entry["done_lanes"] = [
                e for e in events if e.step == name and e.round_number == plan.round_number and e.action == "accept"
            ]
        elif plan.status == PlanStatus.WAIVED and not open_steps:
            last = next((e for e in reversed(events) if e.step == name), None)
            entry["state"] = "done" if last else "skipped"
            entry["event"] = last
        elif index < current:
            entry["state"] = "done"
            entry["event"] = next((e for e in reversed(events) if e.step == name), None)
        else:
            entry["state"] = "next"
            entry["agency"] = _next_agencies(plan, name)
        out.append(entry)
    return out
