"""Inboxes, archives and the consolidation workbench — each a constant number of queries.

Everything selects by indexed columns of ``WorkItem`` and ``Plan`` (agency, assignee, plan,
unit tree), never by guardian's per-row permission concatenation, so the cost follows the
caller's share of the work, not the national number of tasks.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Window

from approvals.models import Resolution
from deadlines import clock
from directory.authority import Authority, authority_of
from directory.models import User
from planning import diff as plan_diff
from planning import selectors as plan_selectors
from planning.models import EDITABLE_STATUSES, FundingSource, Plan, PlanRound, PlanStatus
from workflows.models import WorkItem

ZERO = Decimal("0")


def agency_ids_of(user: User, authority: Authority | None = None) -> list[int]:
    """The user's agencies, plus those where they stand in for someone today
    (``directory.authority``; from memory when the request's authority is given)."""
    return (authority or authority_of(user)).agency_ids


@dataclass(frozen=True)
class InboxFilters:
    cycle: int | None = None
    plan_type: str | None = None
    unit: str | None = None
    step: str | None = None
    overdue: bool | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> InboxFilters:
        """From a request's query (``request.GET``/``query_params``): untrusted, checked here."""

        def integer(name: str) -> int | None:
            value = params.get(name)
            return int(value) if value and str(value).isdigit() else None

        overdue = params.get("overdue")
        return cls(
            cycle=integer("cycle"),
            plan_type=params.get("type") or None,
            unit=params.get("unit") or None,
            step=params.get("step") or None,
            overdue=None if overdue in (None, "") else overdue in ("1", "true", "yes"),
        )


def _mine(user: User, agency_ids: list[int]) -> Q:
    return Q(agency_id__in=agency_ids) | Q(assignee=user)


def inbox(
    *, user: User, filters: InboxFilters | None = None, agency_ids: list[int] | None = None
) -> QuerySet[WorkItem]:
    """Open tasks assigned to the user or claimable by their agencies, soonest due first."""
    agency_ids = agency_ids_of(user) if agency_ids is None else agency_ids
    qs = WorkItem.objects.filter(_mine(user, agency_ids), is_open=True)
    qs = _filtered(qs, filters or InboxFilters())
    return qs.select_related("plan__unit", "plan__cycle", "agency", "assignee").order_by("due_at", "created_at", "pk")


def _filtered(qs: QuerySet[WorkItem], f: InboxFilters) -> QuerySet[WorkItem]:
    if f.cycle:
        qs = qs.filter(plan__cycle_id=f.cycle)
    if f.plan_type:
        qs = qs.filter(plan__plan_type=f.plan_type)
    if f.unit:
        qs = qs.filter(plan__unit__code=f.unit)
    if f.step:
        qs = qs.filter(step=f.step)
    if f.overdue is not None:
        now = clock.now()
        qs = qs.filter(due_at__lt=now) if f.overdue else qs.filter(Q(due_at__gte=now) | Q(due_at__isnull=True))
    return qs


def inbox_counts(*, user: User, agency_ids: list[int]) -> dict[str, Any]:
    """Counts for the filter bar and the home page: total, overdue, by step (and overdue by
    step), by plan type, by cycle (one query)."""
    now = clock.now()
    rows = (
        WorkItem.objects.filter(_mine(user, agency_ids), is_open=True)
        .values("step", "plan__plan_type", "plan__cycle_id", "plan__cycle__year")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now)))
    )
    counts: dict[str, Any] = {"total": 0, "overdue": 0, "step": {}, "step_overdue": {}, "type": {}, "cycle": {}}
    for row in rows:
        counts["total"] += row["n"]
        counts["overdue"] += row["late"]
        counts["step_overdue"][row["step"]] = counts["step_overdue"].get(row["step"], 0) + row["late"]
        for key, value in (
            ("step", row["step"]),
            ("type", row["plan__plan_type"]),
            ("cycle", row["plan__cycle__year"]),
        ):
            counts[key][value] = counts[key].get(value, 0) + row["n"]
    return counts


def needs_me_now(*, user: User, agency_ids: list[int] | None = None, soonest: int = 5) -> dict[str, Any]:
    """What the home page shows an officer: their open tasks counted by step, the steps with
    overdue tasks first (then the most tasks), and the ``soonest`` tasks by due date (overdue
    ones come first: they are due earliest). Two queries."""
    from workflows import routes

    agency_ids = agency_ids_of(user) if agency_ids is None else agency_ids
    counts = inbox_counts(user=user, agency_ids=agency_ids)
    steps = sorted(
        (
            {"step": step, "title": routes.step_spec(step).title, "open": n, "overdue": counts["step_overdue"][step]}
            for step, n in counts["step"].items()
        ),
        key=lambda row: (-row["overdue"], -row["open"], row["title"]),
    )
    return {
        "total": counts["total"],
        "overdue": counts["overdue"],
        "steps": steps,
        "soonest": list(inbox(user=user, agency_ids=agency_ids)[:soonest]) if counts["total"] else [],
        "now": clock.now(),
    }


def with_overdue_count(items: QuerySet[WorkItem], *, now: dt.datetime) -> QuerySet[WorkItem]:
    """``items`` with, on every row, how many of the list's tasks are due before ``now``
    (``overdue_count``, a window over the list): the unfiltered inbox's page counts its overdue
    tasks in its own query."""
    return items.annotate(overdue_count=Window(Count("pk", filter=Q(due_at__lt=now))))


def archive(*, user: User, agency_ids: list[int] | None = None) -> QuerySet[WorkItem]:
    agency_ids = agency_ids_of(user) if agency_ids is None else agency_ids
    return (
        WorkItem.objects.filter(_mine(user, agency_ids) | Q(closed_by=user), is_open=False)
        .select_related("plan__unit", "plan__cycle", "agency", "closed_by")
        .order_by("-closed_at", "-pk")
    )


def open_items_of(plan: Plan) -> QuerySet[WorkItem]:
    return WorkItem.objects.filter(plan=plan, is_open=True).select_related("agency", "assignee").order_by("pk")


# A plan's resolution is the one of its latest approved round (a plan amended after approval and
# approved again carries its new one): one order for every reader.
RESOLUTION_LATEST_FIRST = ("-round_number", "-recorded_at", "-pk")


def plan_resolutions_for(plans: Iterable[Plan]) -> dict[int, Resolution]:
    """The People's Council resolution of each plan that has one, in one query: the one of its
    latest approved round (a plan amended after approval and approved again carries its new one)."""
    out: dict[int, Resolution] = {}
    ids = [plan.pk for plan in plans]
    if not ids:
        return out
    ordered = Resolution.objects.filter(plan_id__in=ids).order_by("plan_id", *RESOLUTION_LATEST_FIRST)
    for resolution in ordered:
        out.setdefault(resolution.plan_id, resolution)
    return out


def with_resolution(items: QuerySet[WorkItem]) -> QuerySet[WorkItem]:
    """Tasks with their plan's resolution number and date (``resolution_number``,
    ``resolution_date``; None before approval), chosen as ``plan_resolutions_for`` does, in the
    tasks' own query. ``resolution_of`` reads them."""
    latest = Resolution.objects.filter(plan_id=OuterRef("plan_id")).order_by(*RESOLUTION_LATEST_FIRST)
    return items.annotate(
        resolution_number=Subquery(latest.values("number")[:1]),
        resolution_date=Subquery(latest.values("date")[:1]),
    )


def resolution_of(item: WorkItem) -> Resolution | None:
    """The resolution (number and date only) annotated by ``with_resolution``, or None."""
    number, date = getattr(item, "resolution_number", None), getattr(item, "resolution_date", None)
    if number is None or date is None:
        return None
    return Resolution(plan_id=item.plan_id, number=number, date=date)


def plan_resolution(plan: Plan) -> Resolution | None:
    """The plan's People's Council resolution (number, date), or None before approval."""
    return plan_resolutions_for([plan]).get(plan.pk)


@dataclass
class RoundChange:
    """A child's own money now against the round it is measured from, per source and in all."""

    since_round: int
    by_source: dict[str, Decimal]
    total: Decimal


def workbench_children(*, user: User, plan: Plan) -> QuerySet[Plan]:
    """The parent plan's direct children that the caller may see, by unit code (the rows of its
    workbench, and the only plans a bulk action there may touch)."""
    visible = Plan.objects.filter(plan_selectors.plan_scope_q(user), parent=plan)
    return visible.select_related("unit").order_by("unit__code")


# The workbench's sortable columns besides each funding source's code (``?sort=total``, ``?sort=-total``).
WORKBENCH_SORTS = ("code", "unit", "status", "round", "total", "change")
# Statuses in the order of the work: what waits for the reviewer first, what is settled last.
_STATUS_ORDER = {
    status: index
    for index, status in enumerate(
        (PlanStatus.SUBMITTED, PlanStatus.RETURNED, PlanStatus.DRAFT, PlanStatus.ACCEPTED, PlanStatus.WAIVED)
    )
}


def workbench_sort_key(sort: str, sources: list[FundingSource]) -> tuple[str, bool]:
    """``(column, descending)`` for a ``?sort=`` value; an unknown column sorts by unit code."""
    descending = sort.startswith("-")
    column = sort.lstrip("-")
    if column not in WORKBENCH_SORTS and column not in {source.code for source in sources}:
        return "code", False
    return column, descending


def _name_key(name: str) -> tuple[str, str]:
    """A unit name as a Vietnamese reader orders it: letters first, then their marks
    ("Bản Bo" before "Bình Lư"), "Đ" after "D"."""
    folded = name.casefold()
    bare = "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
    return bare.replace("đ", "d\uffff"), folded


def _sorted_rows(rows: list[dict[str, Any]], sort: str, sources: list[FundingSource]) -> list[dict[str, Any]]:
    column, descending = workbench_sort_key(sort, sources)

    def key(row: dict[str, Any]) -> Any:
        plan = row["plan"]
        if column == "code":
            value: Any = plan.unit.code
        elif column == "unit":
            value = _name_key(plan.unit.name)
        elif column == "status":
            value = _STATUS_ORDER.get(plan.status, len(_STATUS_ORDER))
        elif column == "round":
            value = row["round"]
        elif column == "change":
            # A child without an earlier round has no change: it goes last either way.
            change = row["change"]
            return (change is None, (-change.total if descending else change.total) if change else ZERO, plan.unit.code)
        else:
            value = row["money"]["total"].get(column, ZERO)
        return value

    if column == "change":
        return sorted(rows, key=key)
    # Ties keep the unit order (a stable sort over rows already ordered by unit code).
    return sorted(rows, key=key, reverse=descending)


def workbench(*, user: User, plan: Plan, sources: list[FundingSource], sort: str = "code") -> dict[str, Any]:
    """A parent plan's children with status, round, money and change since their last round.

    Every figure is ``plan_money_for``'s (one rule for every page): each child's ``money``
    (``total``, ``own``, ``below``, flat by source), whether it is ``counted`` in the parent's
    figure (``COUNTED_BELOW``: not a waived plan), and the parent's ``below``, which the counted
    rows add up to (``other_below``: the counted plans below that are not the parent's direct
    children in the caller's reach, zero in a complete tree). ``change`` compares like with like:
    the child's own lines now with its own lines in the round it is measured from
    (``_round_baselines``), per source. ``sources`` are the funding sources of the plan's
    period (its children's too: same cycle). ``sort`` orders the rows (``WORKBENCH_SORTS`` or a
    source's code, ``-`` first for descending; by unit code when absent or unknown). A constant
    number of queries whatever the number of children (the children; the money, one sum per
    level on the page; the rounds)."""
    children = list(
        workbench_children(user=user, plan=plan)
        .annotate(counted=ExpressionWrapper(plan_selectors.COUNTED_BELOW, output_field=BooleanField()))
        .select_related("cycle")  # the cycle names the period whose sources the sums use
    )
    money = plan_selectors.plan_money_for([plan, *children])
    baselines = _round_baselines(children, sources)
    rows = []
    counted_total = plan_selectors.zero_totals(sources)
    for child in children:
        figures = money[child.pk]
        if child.counted:
            for key in counted_total:
                counted_total[key] += figures["total"].get(key, ZERO)
        change = None
        if child.pk in baselines:
            since_round, before = baselines[child.pk]
            by_source = {s.code: figures["own"].get(s.code, ZERO) - before.get(s.code, ZERO) for s in sources}
            change = RoundChange(since_round, by_source, sum(by_source.values(), ZERO))
        rows.append(
            {
                "plan": child,
                "money": figures,
                "counted": child.counted,
                "round": child.round_number,
                "change": change,
                "done": child.status in (PlanStatus.ACCEPTED, PlanStatus.WAIVED),
            }
        )
    below = money[plan.pk]["below"]
    return {
        "rows": _sorted_rows(rows, sort, sources),
        "below": below,
        "other_below": {key: below.get(key, ZERO) - value for key, value in counted_total.items()},
    }


def _round_baselines(
    children: Sequence[Plan], sources: list[FundingSource]
) -> dict[int, tuple[int, dict[str, Decimal]]]:
    """For each child, the round its change is measured from and that round's own lines summed
    per source, as the task page compares rounds: a plan being edited (draft, returned) against
    its last frozen round (what its unit changed since it last submitted); a plan that moved on
    against the round before its last (what changed at its last submission). A plan with no such
    round is absent. Reads only those rounds' lines (a round's own lines, whatever it
    consolidates), in one query; older snapshots kept the amounts as flat keys beside the texts."""
    if not children:
        return {}
    editable = Q(plan__status__in=EDITABLE_STATUSES)
    rounds = (
        PlanRound.objects.filter(plan_id__in=[child.pk for child in children])
        .filter((editable & Q(number=F("plan__round_number"))) | (~editable & Q(number=F("plan__round_number") - 1)))
        .values_list("plan_id", "number", "snapshot__lines")
    )
    codes = [source.code for source in sources]
    out = {}
    for plan_id, number, lines in rounds:
        sums = dict.fromkeys(codes, ZERO)
        for line in lines or []:
            flat = plan_diff._flat(line)
            for code in codes:
                sums[code] += Decimal(str(flat.get(code) or "0"))
        out[plan_id] = (number, sums)
    return out
