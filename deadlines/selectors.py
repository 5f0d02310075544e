"""Reads: milestones in force, who may extend a deadline, who hears a reminder, the dashboard.

Batch-minded: the dashboard and the sweep load what they need for many rows in a fixed number
of queries (memberships by agency, supervising agencies by unit, extensions by plan), so their
cost follows the number of rows only in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import BigIntegerField, Count, F, Max, Q, QuerySet, Value
from django.utils.translation import gettext_lazy as _

from approvals.models import AuditEvent
from deadlines import clock, conf, milestones
from deadlines.models import CalendarDay, DeadlineExtension, MilestoneOverride
from deadlines.thresholds import due_day
from deadlines.workdays import WorkingCalendar
from directory.authority import Authority as OfficerAuthority
from directory.authority import MemberIndex, authority_of
from directory.models import AdministrativeUnit, Agency, AgencyKind, ProgrammeSetting, Role, Tier, User
from planning import selectors as plan_selectors
from planning.models import Cycle, Plan, PlanStatus, PlanType
from workflows import routes
from workflows.models import WorkItem

# --- milestones in force -----------------------------------------------------------------------


def province_id_of(plan: Plan) -> int | None:
    """The province a plan belongs to (its own unit for a province plan)."""
    return plan.unit_id if plan.unit.tier == Tier.PROVINCE else plan.province_id


def overrides_for(*, province_id: int | None, cycle_id: int, plan_type: str) -> milestones.Overrides:
    if province_id is None:
        return {}
    rows = MilestoneOverride.objects.filter(province_id=province_id, cycle_id=cycle_id, plan_type=plan_type)
    return {(r.tier, r.step): (r.date, r.rule) for r in rows}


def cycle_milestones(
    *,
    cycle: Cycle,
    plan_type: str,
    province_id: int | None,
    calendar: WorkingCalendar,
    overrides: milestones.Overrides | None = None,
) -> list[milestones.Milestone]:
    """The cycle calendar of one plan type as it applies in a province (its overrides included:
    read here unless the caller read them)."""
    if overrides is None:
        overrides = overrides_for(province_id=province_id, cycle_id=cycle.pk, plan_type=plan_type)
    return milestones.compute(
        plan_type=plan_type, year=cycle.year, structure=cycle.structure, calendar=calendar, overrides=overrides
    )


def milestone_for(
    *, plan: Plan, step: str, calendar: WorkingCalendar, overrides: milestones.Overrides | None = None
) -> milestones.Milestone | None:
    found = cycle_milestones(
        cycle=plan.cycle,
        plan_type=plan.plan_type,
        province_id=province_id_of(plan),
        calendar=calendar,
        overrides=overrides,
    )
    return milestones.find(found, plan.unit.tier, step)


def deadline_of(*, plan: Plan, step: str, calendar: WorkingCalendar) -> dt.date | None:
    """The unit's last day for ``step``: its extension if any, else the milestone in force.

    One query (``_deadline_rows``) for the plan's extensions of the step, the province's
    overrides of the cycle and, when ``calendar`` has not read them yet, the calendar's rows:
    a new task's due date is computed from it (``deadlines.services.due_for``)."""
    extensions, overrides = _deadline_rows(plan=plan, step=step, calendar=calendar)
    if extensions:
        return extensions[max(extensions)]  # the latest extension of the step is the one in force
    milestone = milestone_for(plan=plan, step=step, calendar=calendar, overrides=overrides)
    return milestone.due_on if milestone else None


# The columns every part of ``_deadline_rows``'s UNION gives: which part, a date, three texts, an id.
_PART_COLUMNS = ("part", "day", "text_1", "text_2", "text_3", "row_id")


def _part(queryset: QuerySet[Any], part: str, day: str, *texts: str | None, row_id: str | None = None) -> QuerySet[Any]:
    """One part of ``_deadline_rows``: ``texts`` and ``row_id`` name columns (None: empty).
    Every column is an annotation named alike in every part, so the UNION lines them up."""
    columns: list[Any] = [Value(part), F(day), *(F(text) if text else Value("") for text in texts)]
    columns.append(F(row_id) if row_id else Value(0, output_field=BigIntegerField()))
    names = [f"_{name}" for name in _PART_COLUMNS]
    rows: QuerySet[Any, Any] = queryset.order_by().annotate(**dict(zip(names, columns, strict=True)))
    return rows.values_list(*names)


def _deadline_rows(
    *, plan: Plan, step: str, calendar: WorkingCalendar
) -> tuple[dict[int, dt.date], milestones.Overrides]:
    """(extension id → its day, the province's overrides), the calendar's rows given to
    ``calendar`` if it had not read them: one UNION ALL of the three tables."""
    extension_rows = DeadlineExtension.objects.filter(plan=plan, step=step)
    parts = [_part(extension_rows, "extension", "due_on", None, None, None, row_id="id")]
    province_id = province_id_of(plan)
    if province_id is not None:
        rows = MilestoneOverride.objects.filter(
            province_id=province_id, cycle_id=plan.cycle_id, plan_type=plan.plan_type
        )
        parts.append(_part(rows, "override", "date", "rule", "tier", "step"))
    if calendar.unread:
        parts.append(_part(CalendarDay.objects.all(), "calendar", "date", "kind", "name", None))
    extensions: dict[int, dt.date] = {}
    overrides: milestones.Overrides = {}
    days: list[tuple[dt.date, str, str]] = []
    for part, day, text_1, text_2, text_3, row_id in parts[0].union(*parts[1:], all=True):
        if part == "extension":
            extensions[row_id] = day
        elif part == "override":
            overrides[(text_2, text_3)] = (day, text_1)
        else:
            days.append((day, text_1, text_2))
    if calendar.unread:
        calendar.add_rows(days)
    return extensions, overrides


def open_items_for(*, plan: Plan, step: str) -> QuerySet[WorkItem]:
    return WorkItem.objects.filter(plan=plan, step=step, is_open=True).order_by("pk")


def current_step(plan: Plan) -> str:
    """The step a unit's deadline is about now: its open task's, else the route's first."""
    item = WorkItem.objects.filter(plan=plan, is_open=True).order_by("pk").values_list("step", flat=True).first()
    return item or routes.first_step(plan)


# --- who may extend ----------------------------------------------------------------------------


def is_administrator(user: User) -> bool:
    return authority_of(user).is_administrator


def supervising_agencies(units: Iterable[AdministrativeUnit], period: str) -> dict[int, Agency | None]:
    """unit id → the agency supervising its deadlines: the standing agency of its parent unit
    (``workflows.routes.standing_agency``), or the ministry for a province. Batched: two
    queries whatever the number of units (their ``parent`` must be loaded)."""
    found = supervising_agencies_by_period((unit, period) for unit in units)
    return {unit_id: agency for (unit_id, _period), agency in found.items()}


def supervising_agencies_by_period(
    pairs: Iterable[tuple[AdministrativeUnit, str]],
) -> dict[tuple[int, str], Agency | None]:
    """(unit id, period code) → the agency supervising that unit's deadlines in that period
    (see ``supervising_agencies``), for units of several periods at once: still two queries."""
    wanted = {(unit.pk, period): unit.parent for unit, period in pairs}
    parent_units = {p.pk: p for p in wanted.values() if p is not None}
    periods = {period for _unit_id, period in wanted}
    settings_by_unit = {
        (s.unit_id, s.period): s.standing_agency
        for s in ProgrammeSetting.objects.filter(unit_id__in=parent_units, period__in=periods).select_related(
            "standing_agency"
        )
    }
    agencies: dict[tuple[int, str], Agency] = {
        (a.unit_id, a.kind): a for a in Agency.objects.filter(unit_id__in=parent_units)
    }
    result: dict[tuple[int, str], Agency | None] = {}
    for (unit_id, period), parent in wanted.items():
        if parent is None:
            result[(unit_id, period)] = None
        elif parent.tier == Tier.NATION:
            result[(unit_id, period)] = agencies.get((parent.pk, AgencyKind.MINISTRY))
        elif (parent.pk, period) in settings_by_unit:
            result[(unit_id, period)] = settings_by_unit[(parent.pk, period)]
        else:
            result[(unit_id, period)] = next(
                (agencies[(parent.pk, k)] for k in routes.standing_kinds(parent) if (parent.pk, k) in agencies), None
            )
    return result


def supervisor_heads(pairs: Iterable[tuple[AdministrativeUnit, str]]) -> dict[tuple[int, str], list[User]]:
    """(unit id, period code) → the active heads of the agency supervising it (the sweep's
    "escalate to the level above"), for a whole batch in three queries."""
    agencies = supervising_agencies_by_period(pairs)
    members = MemberIndex.load(agency.pk for agency in agencies.values() if agency is not None)
    return {
        key: (members.members(agency.pk, (Role.HEAD,)) if agency is not None else [])
        for key, agency in agencies.items()
    }


def supervising_agency(unit: AdministrativeUnit, period: str) -> Agency | None:
    return supervising_agencies([unit], period)[unit.pk]


@dataclass(frozen=True)
class Authority:
    allowed: bool
    agency: Agency | None = None
    acting_for: User | None = None
    administrator: bool = False


def extension_authority(*, user: User, plan: Plan, authority: OfficerAuthority | None = None) -> Authority:
    """May ``user`` extend this unit's deadline: an administrator, or the head (or their deputy
    under a delegation) of the supervising level's standing agency (``directory.authority``)."""
    authority = authority or authority_of(user)
    if authority.is_administrator:
        return Authority(True, administrator=True)
    agency = supervising_agency(plan.unit, plan.cycle.period.code)
    if agency is None:
        return Authority(False)
    allowed, acting_for = authority.check(agency.pk, (Role.HEAD,))
    return Authority(allowed, agency=agency, acting_for=acting_for)


# --- who hears a reminder ----------------------------------------------------------------------


# The roles a step's task is for come from the route (``workflows.routes.step_roles``).
step_roles = routes.step_roles


def actors_of(item: WorkItem, members: MemberIndex) -> list[User]:
    """Who must act: the assigned officer, else the agency's members whose role can act."""
    assignee = item.assignee if item.assignee_id is not None else None
    if assignee is not None and assignee.is_active:
        return [assignee]
    return members.members(item.agency_id, step_roles(item.step))


# --- the dashboard ------------------------------------------------------------------------------

ON_TIME, AT_RISK, LATE, WAIVED, NO_DEADLINE = "on_time", "at_risk", "late", "waived", "none"
STATE_LABELS = {
    ON_TIME: _("Đúng hạn"),
    AT_RISK: _("Có nguy cơ trễ"),
    LATE: _("Trễ hạn"),
    WAIVED: _("Được miễn"),
    NO_DEADLINE: _("Chưa có hạn"),
}
SUBMIT_ACTIONS = ("submit", "issue_guidance")
TIER_ORDER = (Tier.PROVINCE, Tier.DISTRICT, Tier.COMMUNE)


@dataclass
class UnitRow:
    plan: Plan
    step: str
    due_on: dt.date | None
    submitted_at: dt.datetime | None
    state: str
    days_left: int | None
    extended: bool
    may_extend: bool = False

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def late_days(self) -> int:
        return -self.days_left if self.days_left and self.days_left < 0 else 0

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])


@dataclass
class Level:
    tier: str
    label: str
    rows: list[UnitRow]

    @property
    def counts(self) -> dict[str, int]:
        counts = {ON_TIME: 0, AT_RISK: 0, LATE: 0}
        for row in self.rows:
            if row.state in counts:
                counts[row.state] += 1
        return counts


def cycles_for(user: User) -> QuerySet[Cycle]:
    """Cycles in which the user can see at least one plan, newest first."""
    scope = _scope(user)
    return (
        Cycle.objects.filter(pk__in=Plan.objects.filter(scope).values("cycle_id"))
        .select_related("period")
        .order_by("-year", "structure")
    )


def _scope(user: User) -> Q:
    return Q() if user.is_superuser else plan_selectors.plan_scope_q(user)


def dashboard(*, user: User, cycle: Cycle, plan_type: str, calendar: WorkingCalendar) -> list[Level]:
    """Each level's units with their submission deadline and state, scoped to the user's tree.

    A constant number of queries: plans, open first-step items, extensions, submissions,
    overrides per province, supervising agencies and the user's authority.
    """
    plans = list(
        Plan.objects.filter(_scope(user), cycle=cycle, plan_type=plan_type)
        .select_related("unit__parent", "cycle__period")
        .order_by("unit__code")
    )
    if not plans:
        return []
    now = clock.now()
    today = timezone_date(now)
    first_steps = {p.pk: routes.first_step(p) for p in plans}
    open_due = {
        (plan_id, step): due_at
        for plan_id, step, due_at in WorkItem.objects.filter(plan__in=plans, is_open=True).values_list(
            "plan_id", "step", "due_at"
        )
    }
    extensions = {
        (plan_id, step): due_on
        for plan_id, step, due_on in DeadlineExtension.objects.filter(plan__in=plans)
        .order_by("id")
        .values_list("plan_id", "step", "due_on")
    }
    submitted = dict(
        AuditEvent.objects.filter(plan__in=plans, action__in=SUBMIT_ACTIONS)
        .values("plan_id")
        .annotate(last=Max("created_at"))
        .values_list("plan_id", "last")
    )
    milestone_cache: dict[int | None, list[milestones.Milestone]] = {}
    override_rows = MilestoneOverride.objects.filter(cycle=cycle, plan_type=plan_type)
    overrides: dict[int, milestones.Overrides] = defaultdict(dict)
    for row in override_rows:
        overrides[row.province_id][(row.tier, row.step)] = (row.date, row.rule)

    def milestone_day(plan: Plan, step: str) -> dt.date | None:
        province_id = province_id_of(plan)
        if province_id not in milestone_cache:
            milestone_cache[province_id] = milestones.compute(
                plan_type=plan_type,
                year=cycle.year,
                structure=cycle.structure,
                calendar=calendar,
                overrides=overrides.get(province_id or 0, {}),
            )
        found = milestones.find(milestone_cache[province_id], plan.unit.tier, step)
        return found.due_on if found else None

    authority = authority_of(user, on=today)
    administrator = authority.is_administrator
    supervisors = supervising_agencies([p.unit for p in plans], cycle.period.code) if not administrator else {}
    at_risk_days = conf.at_risk_days()

    levels: dict[str, list[UnitRow]] = defaultdict(list)
    for plan in plans:
        step = first_steps[plan.pk]
        if (due_at := open_due.get((plan.pk, step))) is not None:
            due_on: dt.date | None = due_day(due_at)
        elif (plan.pk, step) in extensions:
            due_on = extensions[(plan.pk, step)]
        else:
            due_on = milestone_day(plan, step)
        done = plan.status not in (PlanStatus.DRAFT, PlanStatus.RETURNED)
        submitted_at = clock.to_app_time(submitted[plan.pk]) if done and plan.pk in submitted else None
        state, days_left = _state(plan, done, submitted_at, due_on, today, calendar, at_risk_days)
        supervisor = supervisors.get(plan.unit_id)
        levels[plan.unit.tier].append(
            UnitRow(
                plan=plan,
                step=step,
                due_on=due_on,
                submitted_at=submitted_at,
                state=state,
                days_left=days_left,
                extended=(plan.pk, step) in extensions,
                may_extend=administrator or (supervisor is not None and authority.may(supervisor.pk, (Role.HEAD,))),
            )
        )
    return [Level(tier, str(Tier(tier).label), levels[tier]) for tier in TIER_ORDER if levels.get(tier)]


def _state(
    plan: Plan,
    done: bool,
    submitted_at: dt.datetime | None,
    due_on: dt.date | None,
    today: dt.date,
    calendar: WorkingCalendar,
    at_risk_days: int,
) -> tuple[str, int | None]:
    if plan.status == PlanStatus.WAIVED:
        return WAIVED, None
    if due_on is None:
        return NO_DEADLINE, None
    if done:
        on_time = submitted_at is None or timezone_date(submitted_at) <= due_on
        return (ON_TIME if on_time else LATE), None
    days_left = calendar.working_days_between(today, due_on)
    if today > due_on:
        return LATE, days_left
    return (AT_RISK if days_left < at_risk_days else ON_TIME), days_left


def timezone_date(moment: dt.datetime) -> dt.date:
    return due_day(moment)


def plan_type_choices(cycle: Cycle | None) -> list[tuple[str, str]]:
    types = set(cycle.plan_types) if cycle else {t.value for t in PlanType}
    return [(value, str(label)) for value, label in PlanType.choices if value in types]


def busiest_plan_type(*, user: User, cycle: Cycle) -> str:
    """The plan type with the most plans the user can see in the cycle (the dashboard's default)."""
    row = (
        Plan.objects.filter(_scope(user), cycle=cycle)
        .values("plan_type")
        .annotate(n=Count("pk"))
        .order_by("-n", "plan_type")
        .first()
    )
    return row["plan_type"] if row else (cycle.plan_types[0] if cycle.plan_types else "")
