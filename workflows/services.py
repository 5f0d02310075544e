"""Acting on plans: the one entry point for every action, whoever calls it (web, API, admin, tests).

``plan_act`` runs one transaction: the plan row is locked first (then viewflow's process lock,
always in that order), the state and the caller's right are checked under the lock, the plan
moves through its django-fsm transition, the audit row and the notifications are written, and
the viewflow task is completed so the flow routes on. The loser of a race finds the state
changed and gets a ``Conflict`` (409), never a half-done transition.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import STATUS

from approvals import services as approvals
from config.dates import parse_user_date
from config.errors import Conflict
from config.text import text_error
from deadlines import services as deadlines
from directory.models import Agency, Delegation, Membership, Role, Tier, User
from planning import completeness
from planning import selectors as plan_selectors
from planning import services as planning
from planning.models import EDITABLE_STATUSES, Cycle, Plan, PlanRound, PlanStatus
from workflows import routes
from workflows.models import PlanProcess, WorkItem

logger = logging.getLogger(__name__)

OPEN_TASK = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
# Actions outside the route's current step, taken by the level above or by the plan's own head.
SIDE_ACTIONS = ("waive", "reopen", "amend")
AMENDABLE = (PlanStatus.APPROVED, PlanStatus.CLOSED, PlanStatus.ACCEPTED, PlanStatus.GUIDANCE_ISSUED)
# Row lock on the plan. Only the concurrency control test turns it off, to show the race.
_ROW_LOCK = True


class PreconditionFailed(Conflict):
    """The action exists now but a rule of the route blocks it; ``detail`` says what."""

    code = "precondition_failed"

    def __init__(self, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.detail = detail


class PlanIncomplete(PreconditionFailed):
    """A submission of a plan that lacks what its type and level require
    (``planning/data/completeness.json``); ``detail`` lists each missing part."""

    code = "plan_incomplete"


@dataclass
class Option:
    """An action the caller could take on a plan now."""

    action: str
    label: str
    step: str
    fields: list[str]
    required: list[str]
    item: WorkItem | None = field(default=None, repr=False)
    agency: Agency | None = field(default=None, repr=False)
    acting_for: User | None = field(default=None, repr=False)
    allowed: bool = True

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("item", "agency", "acting_for", "allowed"):
            data.pop(key)
        data["acting_for"] = self.acting_for.display_name if self.acting_for else None
        return data


ACTION_LABELS = {
    "submit": ("Trình", "Submit"),
    "accept": ("Chấp nhận", "Accept"),
    "return": ("Trả lại để chỉnh sửa", "Return for revision"),
    "approve": ("Ghi nhận HĐND phê duyệt", "Record council approval"),
    "report": ("Báo cáo Bộ", "Report to the ministry"),
    "acknowledge": ("Xác nhận đã nhận", "Acknowledge"),
    "issue_guidance": ("Ban hành hướng dẫn", "Issue guidance"),
    "waive": ("Miễn (không chờ)", "Waive"),
    "reopen": ("Mở lại để chỉnh sửa", "Re-open for revision"),
    "amend": ("Điều chỉnh kế hoạch", "Amend the plan"),
}
ALL_ACTIONS = tuple(ACTION_LABELS)


def action_label(action: str) -> str:
    vi, en = ACTION_LABELS[action]
    from django.utils.translation import get_language

    return en if (get_language() or "vi").startswith("en") else vi


# --- opening plans and processes ---------------------------------------------------------------


@transaction.atomic
def plan_open(*, actor: User, cycle: Cycle, unit, plan_type: str) -> Plan:
    """Create a plan and start its route (its first task lands in the drafting agency's inbox)."""
    plan = planning.plan_create(actor=actor, cycle=cycle, unit=unit, plan_type=plan_type)
    process_start(plan)
    return plan


def process_start(plan: Plan, step: str | None = None, *, returned: bool = False) -> PlanProcess:
    from workflows.flows import PlanFlow

    return PlanFlow.start.run(plan=plan, step=step or routes.first_step(plan), returned=returned)


def process_ensure(plan: Plan) -> None:
    """Start a route for a plan that has none open and is still at its start (demo loading)."""
    if plan.status in EDITABLE_STATUSES and not WorkItem.objects.filter(plan=plan, is_open=True).exists():
        process_start(plan)


# --- hooks called by the flow ------------------------------------------------------------------


def _process_plan(process) -> Plan:
    return Plan.objects.select_related("unit__parent", "cycle__period").get(pk=process.data["plan"])


def acting_unit_for_process(process):
    plan = _process_plan(process)
    return routes.acting_unit(plan, routes.step_spec(process.data["step"]))


def step_owner(process) -> User | None:
    """A plan returned for revision goes back to the officer who last wrote it."""
    if process.data.get("step") != "draft" or not process.data.get("returned"):
        return None
    plan = _process_plan(process)
    return plan.last_edited_by


def work_item_open(activation) -> WorkItem:
    """Create the inbox row of a new task and tell the officers who must act."""
    process, task = activation.process, activation.task
    plan = _process_plan(process)
    spec = routes.step_spec(process.data["step"])
    lane = None
    if spec.is_parallel:
        index = 0 if task.flow_task.name == "lane_1" else 1
        lane = spec.lanes[index]
    agency = routes.acting_agency(plan, spec, lane)
    if agency is None:
        raise Conflict(
            _("Chưa có cơ quan thực hiện bước “%(step)s” cho %(unit)s.") % {"step": spec.title, "unit": plan.unit.name}
        )
    item = WorkItem.objects.create(
        task=task,
        process=process,
        plan=plan,
        step=spec.name,
        lane=lane.name if lane else "",
        agency=agency,
        unit=agency.unit,
        assignee=task.owner,
        due_at=deadlines.due_for(plan=plan, step=spec.name, lane=lane.name if lane else ""),
    )
    approvals.announce_task(
        item=item, title_vi=lane.title_vi if lane else spec.title_vi, title_en=lane.title_en if lane else spec.title_en
    )
    return item


def user_can_see_process(user: User, process) -> bool:
    plan_id = (process.data or {}).get("plan")
    return plan_id is not None and Plan.objects.filter(plan_selectors.plan_scope_q(user), pk=plan_id).exists()


# --- who may do what ---------------------------------------------------------------------------


def _authority(user: User, agency: Agency, roles: tuple[str, ...], today: dt.date) -> tuple[bool, User | None]:
    """(may act, acting for whom): own role in the agency, or a delegation from someone holding it."""
    if Membership.objects.filter(user=user, agency=agency, role__in=roles).exists():
        return True, None
    delegation = (
        Delegation.objects.filter(
            deputy=user,
            agency=agency,
            starts_on__lte=today,
            ends_on__gte=today,
            principal__memberships__agency=agency,
            principal__memberships__role__in=roles,
        )
        .select_related("principal")
        .first()
    )
    return (True, delegation.principal) if delegation else (False, None)


def _route_options(plan: Plan, user: User, today: dt.date, only: str | None = None) -> list[Option]:
    options = []
    items = WorkItem.objects.filter(plan=plan, is_open=True).select_related("agency__unit").order_by("id")
    for item in items:
        spec = routes.step_spec(item.step)
        for name, action in spec.actions.items():
            if only is not None and name != only:
                continue
            allowed, acting_for = _authority(user, item.agency, action.roles, today)
            options.append(
                Option(
                    action=name,
                    label=action_label(name),
                    step=item.step,
                    fields=list(action.field_names),
                    required=list(action.required_fields),
                    item=item,
                    agency=item.agency,
                    acting_for=acting_for,
                    allowed=allowed,
                )
            )
    return options


def _parent_reviewer_agency(plan: Plan) -> Agency | None:
    if plan.unit.parent_id is None or plan.parent_id is None:
        return None
    return routes.standing_agency(plan.unit.parent, plan.cycle.period.code)


def _side_options(plan: Plan, user: User, today: dt.date) -> list[Option]:
    options = []
    parent_agency = _parent_reviewer_agency(plan)
    parent_open = plan.parent_id is not None and plan.parent.status in EDITABLE_STATUSES
    if parent_agency and parent_open and routes.direction(plan.plan_type) == "bottom-up":
        if plan.status in (PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.SUBMITTED):
            allowed, acting_for = _authority(user, parent_agency, (Role.HEAD,), today)
            options.append(
                Option(
                    "waive",
                    action_label("waive"),
                    "",
                    ["comment"],
                    ["comment"],
                    agency=parent_agency,
                    acting_for=acting_for,
                    allowed=allowed,
                )
            )
        if plan.status in (PlanStatus.ACCEPTED, PlanStatus.WAIVED):
            allowed, acting_for = _authority(user, parent_agency, (Role.HEAD,), today)
            options.append(
                Option(
                    "reopen",
                    action_label("reopen"),
                    "",
                    ["comment"],
                    ["comment"],
                    agency=parent_agency,
                    acting_for=acting_for,
                    allowed=allowed,
                )
            )
    if plan.status in AMENDABLE and not WorkItem.objects.filter(plan=plan, is_open=True).exists():
        own = routes.standing_agency(plan.unit, plan.cycle.period.code)
        if own:
            allowed, acting_for = _authority(user, own, (Role.HEAD,), today)
            options.append(
                Option(
                    "amend",
                    action_label("amend"),
                    "",
                    ["comment"],
                    ["comment"],
                    agency=own,
                    acting_for=acting_for,
                    allowed=allowed,
                )
            )
    return options


def plan_options(*, user: User, plan: Plan, action: str | None = None) -> list[Option]:
    """Every action open on the plan now (or only ``action``), each marked whether this user
    may take it. Acting asks for one action, so the others' role checks are not paid for."""
    today = timezone.localdate()
    options = _route_options(plan, user, today, only=action)
    if action is None or action in SIDE_ACTIONS:
        options += [o for o in _side_options(plan, user, today) if action is None or o.action == action]
    return options


def actions_for_user(*, user: User, plan: Plan) -> list[Option]:
    return [option for option in plan_options(user=user, plan=plan) if option.allowed]


# --- acting ------------------------------------------------------------------------------------


def _lock_plan(user: User, plan_id: int) -> Plan:
    qs = Plan.objects.filter(plan_selectors.plan_scope_q(user)).select_related(
        "unit__parent", "cycle__period", "parent"
    )
    if _ROW_LOCK:
        qs = qs.select_for_update(of=("self",))
    plan = qs.filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


def _clean_fields(option: Option, comment: str, fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "comment" in option.required and not comment.strip():
        errors["comment"] = [_("Cần ghi lý do.")]
    elif message := text_error(comment):  # config.text: the web form's comment too
        errors["comment"] = [message]
    if "resolution_number" in option.fields:
        number = str(fields.get("resolution_number") or "").strip()
        if not number:
            errors["resolution_number"] = [_("Cần số nghị quyết.")]
        clean["resolution_number"] = number
    if "resolution_date" in option.fields:
        try:
            value = parse_user_date(fields.get("resolution_date"))
        except ValueError as exc:
            value, errors["resolution_date"] = None, [str(exc)]
        if "resolution_date" in errors:
            pass
        elif value is None:
            errors["resolution_date"] = [_("Cần ngày nghị quyết (dd/mm/yyyy).")]
        elif value > timezone.localdate():
            errors["resolution_date"] = [_("Ngày nghị quyết không thể ở tương lai.")]
        clean["resolution_date"] = value
    if "line_comments" in option.fields:
        line_comments = fields.get("line_comments") or []
        if not isinstance(line_comments, list) or not all(
            isinstance(c, dict) and str(c.get("comment", "")).strip() for c in line_comments
        ):
            errors["line_comments"] = [_("Mỗi ý kiến theo dòng cần “line” (mã dự án hoặc số dòng) và “comment”.")]
        else:
            clean["line_comments"] = [
                {"line": str(c.get("line", "")), "comment": str(c["comment"]).strip()} for c in line_comments
            ]
    if errors:
        raise ValidationError(errors)
    return clean


def _check_requirements(plan: Plan, spec: routes.ActionSpec) -> None:
    if "children_complete" in spec.requires and routes.direction(plan.plan_type) == "bottom-up":
        waiting = list(
            plan.children.exclude(status__in=[PlanStatus.ACCEPTED, PlanStatus.WAIVED])
            .select_related("unit")
            .order_by("unit__code")
        )
        if waiting:
            raise PreconditionFailed(
                ngettext(
                    "Còn %(n)d kế hoạch cấp dưới chưa được chấp nhận hoặc miễn.",
                    "Còn %(n)d kế hoạch cấp dưới chưa được chấp nhận hoặc miễn.",
                    len(waiting),
                )
                % {"n": len(waiting)},
                [{"plan": p.pk, "unit": p.unit.code, "name": p.unit.name, "status": p.status} for p in waiting],
            )
    if "within_envelope" in spec.requires:
        violations = planning.envelope_violations(plan)
        if violations:
            raise PreconditionFailed(_("Kế hoạch vượt trần kinh phí được giao."), violations)
    top_down = routes.direction(plan.plan_type) == "top-down"
    under_a_level = plan.unit.parent_id is not None and plan.unit.parent.tier != Tier.NATION
    guidance_issued = plan.parent is not None and plan.parent.status == PlanStatus.GUIDANCE_ISSUED
    if "parent_guidance_issued" in spec.requires and top_down and under_a_level and not guidance_issued:
        raise PreconditionFailed(_("Cấp trên chưa ban hành kế hoạch, hướng dẫn rà soát."))
    if spec.name == "submit":
        # Last: the task page already lists what is missing before the officer clicks.
        missing = completeness.missing(plan)
        if missing:
            raise PlanIncomplete(completeness.summary(missing), missing)


def plan_act(
    *,
    actor: User,
    plan_id: int,
    action: str,
    comment: str = "",
    fields: dict[str, Any] | None = None,
    idempotency_key: str = "",
    request_id: str = "",
) -> dict[str, Any]:
    """Take ``action`` on a plan. Raises Http404 (not visible), PermissionDenied (visible, but the
    caller's role may not), Conflict (not possible in the current state, or lost a race),
    ValidationError (a field is missing or wrong). Returns the new state."""
    if action not in ALL_ACTIONS:
        raise ValidationError({"action": _("Thao tác không tồn tại.")})
    fields = fields or {}
    if idempotency_key:
        replay = approvals.idempotent_replay(actor=actor, key=idempotency_key, plan_id=plan_id, action=action)
        if replay is not None:
            return replay
    try:
        with transaction.atomic():
            plan = _lock_plan(actor, plan_id)
            if idempotency_key:
                replay = approvals.idempotent_replay(actor=actor, key=idempotency_key, plan_id=plan_id, action=action)
                if replay is not None:
                    return replay
            options = plan_options(user=actor, plan=plan, action=action)
            if not options:
                raise Conflict(
                    _("Không thể “%(action)s” khi kế hoạch đang “%(status)s”.")
                    % {"action": action_label(action), "status": plan.get_status_display()}
                )
            permitted = [o for o in options if o.allowed]
            if not permitted:
                raise PermissionDenied(_("Vai trò của bạn không được thực hiện thao tác này."))
            option = permitted[0]
            clean = _clean_fields(option, comment, fields)
            if action in SIDE_ACTIONS:
                result = _side_action(actor, plan, option, comment.strip(), clean, request_id)
            else:
                result = _route_action(actor, plan, option, comment.strip(), clean, request_id)
            if idempotency_key:
                approvals.idempotent_record(actor=actor, key=idempotency_key, plan=plan, action=action, response=result)
            return result
    except FlowLockFailed:
        raise Conflict(_("Kế hoạch đang được người khác xử lý. Vui lòng thử lại.")) from None
    except IntegrityError:
        # Two requests with one idempotency key raced past the replay check: answer the first.
        if idempotency_key:
            replay = approvals.idempotent_replay(actor=actor, key=idempotency_key, plan_id=plan_id, action=action)
            if replay is not None:
                return replay
        raise


def _result(plan: Plan, action: str, step: str) -> dict[str, Any]:
    return {"plan": plan.pk, "action": action, "status": plan.status, "step": step, "round": plan.round_number}


def _route_action(actor: User, plan: Plan, option: Option, comment: str, clean: dict, request_id: str) -> dict:
    item = option.item
    spec = routes.step_spec(item.step)
    action_spec = spec.actions[option.action]
    _check_requirements(plan, action_spec)
    goto = routes.resolve_goto(plan, item.step, action_spec.goto)
    if spec.is_parallel and option.action == "accept":
        others_open = WorkItem.objects.filter(plan=plan, step=item.step, is_open=True).exclude(pk=item.pk).exists()
        if others_open:
            goto = item.step  # wait for the other lane; the plan stays in appraisal
    from_status = plan.status
    if option.action == "submit":
        planning.round_freeze(actor=actor, plan=plan)
    if option.action == "approve":
        approvals.resolution_record(
            actor=actor, plan=plan, number=clean["resolution_number"], date=clean["resolution_date"]
        )
    target = _target_status(option.action, goto, item.step)
    if target:
        approvals.plan_transition(plan=plan, target=target)
    if option.action == "approve":
        planning.round_freeze(actor=actor, plan=plan, kind=PlanRound.Kind.APPROVED)
    event = _audit(
        actor,
        plan,
        option,
        step=item.step,
        from_status=from_status,
        comment=comment,
        clean=clean,
        request_id=request_id,
    )
    _complete(item, actor, option.action, goto, returned=goto == "draft")
    approvals.announce_outcome(event=event)
    return _result(plan, option.action, goto)


def _audit(
    actor: User, plan: Plan, option: Option, *, step: str, from_status: str, comment: str, clean: dict, request_id: str
):
    """The audit row of an action: who (and for whom, under a delegation), in which agency."""
    return approvals.audit_record(
        plan=plan,
        actor=actor,
        acting_for=option.acting_for,
        agency=option.agency,
        action=option.action,
        step=step,
        from_status=from_status,
        comment=comment,
        data=clean,
        request_id=request_id,
    )


def _target_status(action: str, goto: str, step: str) -> str | None:
    if goto == step:
        return None
    if goto == routes.END:
        return routes.END_STATUS[action]
    if goto == "draft":
        return PlanStatus.RETURNED
    return routes.ENTRY_STATUS[goto]


def _complete(item: WorkItem, actor: User, outcome: str, goto: str, *, returned: bool = False) -> None:
    """Complete the viewflow task (under its process lock) so the flow routes to ``goto``."""
    with item.task.activation() as activation:
        process = activation.process
        process.data = {**process.data, "step": goto, "returned": returned}
        process.save(update_fields=["data"])
        if activation.task.status == STATUS.NEW:
            activation.assign(actor)
        elif activation.task.owner_id != actor.pk:
            activation.reassign(actor)
        activation.start(None)
        activation.execute()
    now = timezone.now()
    WorkItem.objects.filter(pk=item.pk).update(is_open=False, closed_at=now, closed_by=actor, outcome=outcome)
    # Tasks the flow cancelled on the way (the other appraisal lane after a return).
    WorkItem.objects.filter(plan_id=item.plan_id, is_open=True).exclude(task__status__in=OPEN_TASK).update(
        is_open=False, closed_at=now, outcome="cancelled"
    )


def _cancel_open_work(plan: Plan, actor: User, outcome: str) -> None:
    now = timezone.now()
    for item in WorkItem.objects.filter(plan=plan, is_open=True).select_related("task"):
        with item.task.activation() as activation:
            activation.cancel()
            process = activation.process
            process.status = STATUS.CANCELED
            process.finished = now
            process.save(update_fields=["status", "finished"])
    WorkItem.objects.filter(plan=plan, is_open=True).update(
        is_open=False, closed_at=now, closed_by=actor, outcome=outcome
    )


def _side_action(actor: User, plan: Plan, option: Option, comment: str, clean: dict, request_id: str) -> dict:
    from_status = plan.status
    if option.action == "waive":
        _cancel_open_work(plan, actor, "waived")
        approvals.plan_transition(plan=plan, target=PlanStatus.WAIVED)
        step = routes.END
    elif option.action == "reopen":
        approvals.plan_transition(plan=plan, target=PlanStatus.RETURNED)
        step = "draft"
    else:  # amend: a new round of the whole route against the frozen baseline
        planning.round_freeze(actor=actor, plan=plan, kind=PlanRound.Kind.AMENDMENT)
        approvals.plan_transition(plan=plan, target=PlanStatus.DRAFT)
        step = routes.first_step(plan)
    event = _audit(
        actor, plan, option, step=step, from_status=from_status, comment=comment, clean=clean, request_id=request_id
    )
    if option.action in ("reopen", "amend"):
        process_start(plan, step=step, returned=option.action == "reopen")
    approvals.announce_outcome(event=event)
    return _result(plan, option.action, step)
