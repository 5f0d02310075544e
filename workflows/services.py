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
from collections.abc import Callable
from contextlib import nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import STATUS

from approvals import services as approvals
from config import clock
from config.dates import parse_user_date
from config.errors import Conflict
from config.text import text_error
from deadlines import services as deadlines
from directory.authority import Authority, authority_of, members_with_roles
from directory.models import AdministrativeUnit, Agency, Membership, Role, Tier, User
from planning import completeness
from planning import selectors as plan_selectors
from planning import services as planning
from planning.models import EDITABLE_STATUSES, Cycle, Plan, PlanRound, PlanStatus
from workflows import engine, routes
from workflows.models import PlanProcess, WorkItem

if TYPE_CHECKING:
    from viewflow.workflow.activation import Activation

    from approvals.models import AuditEvent

logger = logging.getLogger(__name__)

OPEN_TASK = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
AMENDABLE = (PlanStatus.APPROVED, PlanStatus.CLOSED, PlanStatus.ACCEPTED, PlanStatus.GUIDANCE_ISSUED)
# Row lock on the plan. Only the concurrency control test turns it off, to show the race.
_ROW_LOCK = True


class PreconditionFailed(Conflict):
    """The action exists now but a rule of the route blocks it; ``detail`` says what."""

    code = "precondition_failed"

    def __init__(self, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.detail = detail

    def extra(self) -> dict[str, Any]:
        return {"blocking": self.detail}


class PlanIncomplete(PreconditionFailed):
    """A submission of a plan that lacks what its type and level require
    (``planning/data/completeness.json``); ``detail`` lists each missing part."""

    code = "plan_incomplete"


@dataclass(frozen=True)
class _Choice:
    """What both kinds of option share: the action, the agency whose officers may take it, and
    whether (and for whom, under a delegation) this caller may."""

    action: str
    agency: Agency | None = field(repr=False)
    acting_for: User | None = field(repr=False)
    allowed: bool

    step: ClassVar[str] = ""
    fields: ClassVar[tuple[str, ...]] = ()
    required: ClassVar[tuple[str, ...]] = ()

    @property
    def label(self) -> str:
        return action_label(self.action)

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "label": self.label,
            "step": self.step,
            "fields": list(self.fields),
            "required": list(self.required),
            "acting_for": self.acting_for.display_name if self.acting_for else None,
        }


@dataclass(frozen=True)
class RouteOption(_Choice):
    """An action of the route's current step, on one of the plan's open tasks."""

    item: WorkItem = field(repr=False)
    spec: routes.ActionSpec = field(repr=False)

    @property
    def step(self) -> str:  # type: ignore[override]
        return self.item.step

    @property
    def fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.spec.field_names

    @property
    def required(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.spec.required_fields


@dataclass(frozen=True)
class SideOption(_Choice):
    """An action outside the route's current step (``SIDE_ACTIONS``): no task is taken; the
    reason is required."""

    fields: ClassVar[tuple[str, ...]] = ("comment",)
    required: ClassVar[tuple[str, ...]] = ("comment",)


Option = RouteOption | SideOption

# The labels of every action, through gettext (``locale/``). "Trình" alone already translates
# a column header ("Submission"), so the button has its own context.
ACTION_LABELS: dict[str, Any] = {
    "submit": pgettext_lazy("action", "Trình"),
    "accept": gettext_lazy("Chấp nhận"),
    "return": gettext_lazy("Trả lại để chỉnh sửa"),
    "approve": gettext_lazy("Ghi nhận HĐND phê duyệt"),
    "report": gettext_lazy("Báo cáo Bộ"),
    "acknowledge": gettext_lazy("Xác nhận đã nhận"),
    "issue_guidance": gettext_lazy("Ban hành hướng dẫn"),
    "waive": gettext_lazy("Miễn (không chờ)"),
    "reopen": gettext_lazy("Mở lại để chỉnh sửa"),
    "amend": gettext_lazy("Điều chỉnh kế hoạch"),
    # Recorded by documents.services in the audit trail, never taken through plan_act.
    "issue_document": gettext_lazy("Ban hành văn bản ký số"),
    "record_document_number": gettext_lazy("Ghi số, ngày ban hành văn bản"),
}
RECORDED_ONLY = frozenset({"issue_document", "record_document_number"})
ALL_ACTIONS = tuple(action for action in ACTION_LABELS if action not in RECORDED_ONLY)


def action_label(action: str) -> str:
    return str(ACTION_LABELS[action])


# --- opening plans and processes ---------------------------------------------------------------


@transaction.atomic
def plan_open(*, actor: User, cycle: Cycle, unit: AdministrativeUnit, plan_type: str) -> Plan:
    """Create a plan and start its route (its first task lands in the drafting agency's inbox)."""
    plan = planning.plan_create(actor=actor, cycle=cycle, unit=unit, plan_type=plan_type)
    process_start(plan)
    return plan


def process_start(plan: Plan, step: str | None = None, *, returned: bool = False) -> PlanProcess:
    from workflows.flows import PlanFlow

    process: PlanProcess = PlanFlow.start.run(plan=plan, step=step or routes.first_step(plan), returned=returned)
    return process


def process_ensure(plan: Plan) -> None:
    """Start a route for a plan that has none open and is still at its start (demo loading)."""
    if plan.status in EDITABLE_STATUSES and not WorkItem.objects.filter(plan=plan, is_open=True).exists():
        process_start(plan)


# --- hooks called by the flow ------------------------------------------------------------------


# The plan ``plan_act`` holds locked, for the flow's hooks it triggers (the acting unit, the
# next task's inbox row): they read it from memory instead of loading it again.
_acting_plan: ContextVar[Plan | None] = ContextVar("acting_plan", default=None)


def _process_plan(process: PlanProcess) -> Plan:
    plan = _acting_plan.get()
    if plan is not None and plan.pk == process.data["plan"]:
        return plan
    return Plan.objects.select_related("unit__parent", "cycle__period").get(pk=process.data["plan"])


def acting_unit_for_process(process: PlanProcess) -> AdministrativeUnit:
    plan = _process_plan(process)
    return routes.acting_unit(plan, routes.step_spec(process.data["step"]))


def step_owner(process: PlanProcess) -> User | None:
    """A plan returned for revision goes back to the officer who last wrote it."""
    if process.data.get("step") != "draft" or not process.data.get("returned"):
        return None
    plan = _process_plan(process)
    editor = plan.last_edited_by
    # Not to an officer who has since left the unit's agencies: the task goes to the agency.
    if editor is None or not editor.is_active:
        return None
    return editor if Membership.objects.filter(user=editor, agency__unit=plan.unit).exists() else None


def work_item_open(activation: Activation) -> WorkItem:
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
        unit_id=agency.unit_id,  # not agency.unit: a query for an id already at hand
        assignee=task.owner,
        due_at=deadlines.due_for(plan=plan, step=spec.name, lane=lane.name if lane else ""),
    )
    announce_task(
        item=item, title_vi=lane.title_vi if lane else spec.title_vi, title_en=lane.title_en if lane else spec.title_en
    )
    return item


def task_link(plan: Plan) -> str:
    """The page where a plan's task is taken (every notice of the flow links to it)."""
    return reverse("workflows:plan-task", args=[plan.pk])


def announce_task(*, item: WorkItem, title_vi: str, title_en: str) -> None:
    """A task for you (assigned) or your agency (claimable): the officers whose role the step
    calls (``routes.step_roles``: its actions' roles, and the drafters of a draft)."""
    roles = routes.step_roles(item.step)
    recipients = [item.assignee] if item.assignee else members_with_roles([item.agency_id], roles)
    plan = item.plan
    approvals.notify(
        recipients=recipients,
        kind="task",
        plan=plan,
        link=task_link(plan),
        text_vi=f"Việc mới: {title_vi} — {plan.get_plan_type_display()} {plan.cycle.year}, {plan.unit.name}",
        text_en=f"New task: {title_en} — plan {plan.cycle.year}, {plan.unit.name}",
    )


def user_can_see_process(user: User, process: PlanProcess) -> bool:
    plan_id = (process.data or {}).get("plan")
    return plan_id is not None and Plan.objects.filter(plan_selectors.plan_scope_q(user), pk=plan_id).exists()


# --- who may do what ---------------------------------------------------------------------------


def _open_items(plan: Plan) -> list[WorkItem]:
    # With its viewflow task: completing it starts from the task row (``_complete``).
    items = WorkItem.objects.filter(plan=plan, is_open=True).select_related("agency__unit", "task__process")
    return list(items.order_by("id"))


def _route_options(items: list[WorkItem], authority: Authority, only: str | None = None) -> list[RouteOption]:
    options = []
    for item in items:
        for name, spec in routes.step_spec(item.step).actions.items():
            if only is not None and name != only:
                continue
            allowed, acting_for = authority.check(item.agency_id, spec.roles)
            options.append(
                RouteOption(
                    action=name, agency=item.agency, acting_for=acting_for, allowed=allowed, item=item, spec=spec
                )
            )
    return options


def _parent_reviewer_agency(plan: Plan, items: list[WorkItem]) -> Agency | None:
    if (parent_unit := plan.unit.parent) is None or (parent := plan.parent) is None:
        return None
    if parent.status not in EDITABLE_STATUSES or routes.direction(plan.plan_type) != "bottom-up":
        return None
    return routes.standing_agency(parent_unit, plan.cycle.period.code)


def _own_standing_agency(plan: Plan, items: list[WorkItem]) -> Agency | None:
    if items:  # an amendment opens a new round only once the route is done
        return None
    return routes.standing_agency(plan.unit, plan.cycle.period.code)


def _waive(actor: User, plan: Plan) -> str:
    _cancel_open_work(plan, actor, "waived")
    return routes.END


def _amend(actor: User, plan: Plan) -> str:
    # A new round of the whole route against the frozen baseline.
    planning.round_freeze(actor=actor, plan=plan, kind=PlanRound.Kind.AMENDMENT)
    return routes.first_step(plan)


@dataclass(frozen=True)
class SideAction:
    """A side action, declared once: when it is open, whose head takes it, what it does.

    ``agency(plan, open items)``: the agency whose head may take it, None when it is not open
    for the plan; ``prepare(actor, plan)``: what happens before the move, returning the step the
    plan is at afterwards (``step`` when it is fixed); ``restart``: a new route starts at that
    step (``returned``: as a return for revision)."""

    statuses: tuple[str, ...]
    target: str
    agency: Callable[[Plan, list[WorkItem]], Agency | None]
    step: str = ""
    prepare: Callable[[User, Plan], str] | None = None
    restart: bool = False
    returned: bool = False


SIDE_ACTIONS: dict[str, SideAction] = {
    # The level above, on a child plan it will not wait for.
    "waive": SideAction(
        statuses=(PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.SUBMITTED),
        target=PlanStatus.WAIVED,
        agency=_parent_reviewer_agency,
        prepare=_waive,
    ),
    # The level above, on a child plan it accepted or waived: back to its unit for revision.
    "reopen": SideAction(
        statuses=(PlanStatus.ACCEPTED, PlanStatus.WAIVED),
        target=PlanStatus.RETURNED,
        agency=_parent_reviewer_agency,
        step="draft",
        restart=True,
        returned=True,
    ),
    # The plan's own head, once its route is done.
    "amend": SideAction(
        statuses=AMENDABLE, target=PlanStatus.DRAFT, agency=_own_standing_agency, prepare=_amend, restart=True
    ),
}


def _side_options(plan: Plan, items: list[WorkItem], authority: Authority, only: str | None) -> list[SideOption]:
    options = []
    for name, side in SIDE_ACTIONS.items():
        if (only is not None and name != only) or plan.status not in side.statuses:
            continue
        agency = side.agency(plan, items)
        if agency is None:
            continue
        allowed, acting_for = authority.check(agency.pk, (Role.HEAD,))
        options.append(SideOption(action=name, agency=agency, acting_for=acting_for, allowed=allowed))
    return options


def plan_options(
    *, user: User, plan: Plan, action: str | None = None, authority: Authority | None = None
) -> list[Option]:
    """Every action open on the plan now (or only ``action``), each marked whether this user
    may take it (``directory.authority``: pass the request's ``authority`` to reuse it)."""
    authority = authority or authority_of(user)
    items = _open_items(plan)
    options: list[Option] = []
    if action not in SIDE_ACTIONS:
        options += _route_options(items, authority, only=action)
    if action is None or action in SIDE_ACTIONS:
        options += _side_options(plan, items, authority, only=action)
    return options


def actions_for_user(*, user: User, plan: Plan, authority: Authority | None = None) -> list[Option]:
    return [option for option in plan_options(user=user, plan=plan, authority=authority) if option.allowed]


# --- acting ------------------------------------------------------------------------------------


def _lock_plan(user: User, plan_id: int) -> Plan:
    # With the last editor: a return hands them the task, and every outcome tells them.
    qs = Plan.objects.filter(plan_selectors.plan_scope_q(user)).select_related(
        "unit__parent", "cycle__period", "parent", "last_edited_by"
    )
    if _ROW_LOCK:
        qs = qs.select_for_update(of=("self",))
    plan = qs.filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


def _clean_fields(option: Option, comment: str, fields: dict[str, Any], *, today: dt.date) -> dict[str, Any]:
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
        except ValueError as exc:  # typed, but no such day (31/02/2023) or not a date at all
            value, errors["resolution_date"] = None, [str(exc)]
        if "resolution_date" in errors:
            pass
        elif value is None:
            errors["resolution_date"] = [_("Cần ngày nghị quyết (dd/mm/yyyy).")]
        elif value > today:  # the application's today (the demo may move it)
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
    has_children = plan.unit.tier != Tier.COMMUNE  # a commune's plan has none below it
    if "children_complete" in spec.requires and has_children and routes.direction(plan.plan_type) == "bottom-up":
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
    under_a_level = (parent_unit := plan.unit.parent) is not None and parent_unit.tier != Tier.NATION
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
    reply: str = "",
) -> dict[str, Any]:
    """Take ``action`` on a plan (a submission's ``reply`` answers the last return in the plan's
    thread, ``dossier.services.return_reply``). Raises Http404 (not visible), PermissionDenied (visible, but the
    caller's role may not), Conflict (not possible in the current state, or lost a race),
    ValidationError (a field is missing or wrong). Returns the new state. The audit row takes
    the id of the request or task in progress (``ops.context``)."""
    if action not in ALL_ACTIONS:
        raise ValidationError({"action": _("Thao tác không tồn tại.")})
    with clock.one_reading():
        return _plan_act(
            actor=actor,
            plan_id=plan_id,
            action=action,
            comment=comment,
            fields=fields or {},
            idempotency_key=idempotency_key,
            reply=reply,
        )


def _plan_act(
    *, actor: User, plan_id: int, action: str, comment: str, fields: dict[str, Any], idempotency_key: str, reply: str
) -> dict[str, Any]:
    authority = authority_of(actor)  # once per request: what the caller holds, read before the lock

    def act(plan: Plan) -> dict[str, Any]:
        option = _permitted_option(plan, action, authority)
        clean = _clean_fields(option, comment, fields, today=authority.on)
        if isinstance(option, SideOption):
            return _side_action(actor, plan, option, comment.strip(), clean)
        result = _route_action(actor, plan, option, comment.strip(), clean)
        if action == "submit" and reply.strip():  # in the same transaction: a refused submit keeps no reply
            from dossier.services import return_reply

            return_reply(actor=actor, plan=plan, text=reply)
        return result

    try:
        return _at_most_once(actor=actor, plan_id=plan_id, action=action, key=idempotency_key, act=act)
    except FlowLockFailed:
        raise Conflict(_("Kế hoạch đang được người khác xử lý. Vui lòng thử lại.")) from None


def _at_most_once(
    *, actor: User, plan_id: int, action: str, key: str, act: Callable[[Plan], dict[str, Any]]
) -> dict[str, Any]:
    """Lock the plan and ``act`` on it in one transaction, at most once per idempotency key.

    The key is checked once, under the plan's row lock: a retry that waited for the first
    request finds its answer and gets it again (``replayed``). Two requests with one key that
    raced past the check meet at the record's unique key: the loser's transaction is rolled
    back whole and tried once more, and then finds the winner's answer (or a Conflict, when the
    key was used for another plan or action)."""
    for last_try in (False, True):
        try:
            with transaction.atomic():
                plan = _lock_plan(actor, plan_id)
                token = _acting_plan.set(plan)
                try:
                    return _act_once(actor=actor, plan=plan, action=action, key=key, act=act)
                finally:
                    _acting_plan.reset(token)
        except IntegrityError:
            if not key or last_try:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _act_once(
    *, actor: User, plan: Plan, action: str, key: str, act: Callable[[Plan], dict[str, Any]]
) -> dict[str, Any]:
    """Under the plan's lock: the first answer to the key if there is one, else act and keep it."""
    if key:
        replay = approvals.idempotent_replay(actor=actor, key=key, plan_id=plan.pk, action=action)
        if replay is not None:
            return replay
    result = act(plan)
    if key:
        approvals.idempotent_record(actor=actor, key=key, plan=plan, action=action, response=result)
    return result


def _permitted_option(plan: Plan, action: str, authority: Authority) -> Option:
    options = plan_options(user=authority.user, plan=plan, action=action, authority=authority)
    if not options:
        raise Conflict(
            _("Không thể “%(action)s” khi kế hoạch đang “%(status)s”.")
            % {"action": action_label(action), "status": plan.get_status_display()}
        )
    permitted = [o for o in options if o.allowed]
    if not permitted:
        raise PermissionDenied(_("Vai trò của bạn không được thực hiện thao tác này."))
    return permitted[0]


def _result(plan: Plan, action: str, step: str) -> dict[str, Any]:
    return {"plan": plan.pk, "action": action, "status": plan.status, "step": step, "round": plan.round_number}


def _freeze_submitted(actor: User, plan: Plan, clean: dict[str, Any]) -> tuple[str, ...]:
    planning.round_freeze(actor=actor, plan=plan, locked=True, save_number=False)
    return ("round_number",)


def _record_resolution(actor: User, plan: Plan, clean: dict[str, Any]) -> tuple[str, ...]:
    approvals.resolution_record(
        actor=actor, plan=plan, number=clean["resolution_number"], date=clean["resolution_date"]
    )
    return ()


def _freeze_approved(actor: User, plan: Plan, clean: dict[str, Any]) -> tuple[str, ...]:
    planning.round_freeze(actor=actor, plan=plan, kind=PlanRound.Kind.APPROVED, locked=True)
    return ()


# An effect returns the plan's fields it changed on the locked plan without saving them: the
# move saves those of the ``before`` effects with the status, in one UPDATE of the row;
# ``after`` effects run once the move is saved and save what they change (they return ()).
Effect = Callable[[User, Plan, dict[str, Any]], tuple[str, ...]]


@dataclass(frozen=True)
class RouteEffects:
    """What a route action does besides moving the plan: ``before`` the move, ``after`` it."""

    before: tuple[Effect, ...] = ()
    after: tuple[Effect, ...] = ()


# Declared once per action; an action not listed only moves the plan (and the flow).
ROUTE_EFFECTS: dict[str, RouteEffects] = {
    "submit": RouteEffects(before=(_freeze_submitted,)),  # the submitted round, for the diff
    "approve": RouteEffects(before=(_record_resolution,), after=(_freeze_approved,)),
}
NO_EFFECTS = RouteEffects()


def _route_action(actor: User, plan: Plan, option: RouteOption, comment: str, clean: dict[str, Any]) -> dict[str, Any]:
    item, action_spec = option.item, option.spec
    _check_requirements(plan, action_spec)
    goto = routes.resolve_goto(plan, item.step, action_spec.goto)
    if routes.step_spec(item.step).is_parallel and option.action == "accept":
        others_open = WorkItem.objects.filter(plan=plan, step=item.step, is_open=True).exclude(pk=item.pk).exists()
        if others_open:
            goto = item.step  # wait for the other lane; the plan stays in appraisal
    from_status = plan.status
    effects = ROUTE_EFFECTS.get(option.action, NO_EFFECTS)
    changed: list[str] = []
    for effect in effects.before:
        changed += effect(actor, plan, clean)
    target = _target_status(option.action, goto, item.step)
    if target:
        approvals.plan_transition(plan=plan, target=target, also=tuple(changed))
    elif changed:
        plan.save(update_fields=changed)
    for effect in effects.after:
        effect(actor, plan, clean)
    event = _audit(actor, plan, option, step=item.step, from_status=from_status, comment=comment, clean=clean)
    _complete(item, actor, option.action, goto, returned=goto == "draft")
    approvals.announce_outcome(event=event, link=task_link(plan))
    return _result(plan, option.action, goto)


def _audit(
    actor: User, plan: Plan, option: Option, *, step: str, from_status: str, comment: str, clean: dict[str, Any]
) -> AuditEvent:
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
    """Complete the viewflow task so the flow routes to ``goto``. The caller holds the plan's
    row lock, and ``_open_items`` read the task and its process after taking it, so they are
    current: viewflow's process lock and its re-read of both are not needed (workflows/engine.py)."""
    task = item.task
    held = engine.under_plan_lock(task.process_id) if _ROW_LOCK else nullcontext()
    with held, task.flow_task.flow_class.lock(task.process_id):
        activation = task.flow_task.activation_class(task)
        process = activation.process
        process.data = {**process.data, "step": goto, "returned": returned}
        process.save(update_fields=["data"])
        activation.complete_by(actor)
    now = timezone.now()
    WorkItem.objects.filter(pk=item.pk).update(is_open=False, closed_at=now, closed_by=actor, outcome=outcome)
    if routes.step_spec(item.step).is_parallel:
        # Tasks the flow cancelled on the way (the other appraisal lane after a return); only a
        # parallel step has more than one task open at once.
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


def _side_action(actor: User, plan: Plan, option: SideOption, comment: str, clean: dict[str, Any]) -> dict[str, Any]:
    side = SIDE_ACTIONS[option.action]
    from_status = plan.status
    step = side.prepare(actor, plan) if side.prepare else side.step
    approvals.plan_transition(plan=plan, target=side.target)
    event = _audit(actor, plan, option, step=step, from_status=from_status, comment=comment, clean=clean)
    if side.restart:
        process_start(plan, step=step, returned=side.returned)
    approvals.announce_outcome(event=event, link=task_link(plan))
    return _result(plan, option.action, step)
