"""Inboxes, archives and the consolidation workbench — each a constant number of queries.

Everything selects by indexed columns of ``WorkItem`` and ``Plan`` (agency, assignee, plan,
unit tree), never by guardian's per-row permission concatenation, so the cost follows the
caller's share of the work, not the national number of tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from deadlines import clock
from directory.models import Delegation, Membership, User
from planning import selectors as plan_selectors
from planning.models import FundingSource, Plan, PlanStatus
from workflows.models import WorkItem

ZERO = Decimal("0")


def agency_ids_of(user: User) -> list[int]:
    """The user's agencies, plus those where they stand in for someone today (one query)."""
    today = timezone.localdate()
    own = Membership.objects.filter(user=user).values_list("agency_id", flat=True)
    delegated = Delegation.objects.filter(deputy=user, starts_on__lte=today, ends_on__gte=today).values_list(
        "agency_id", flat=True
    )
    return list(own.union(delegated))


@dataclass(frozen=True)
class InboxFilters:
    cycle: int | None = None
    plan_type: str | None = None
    unit: str | None = None
    step: str | None = None
    overdue: bool | None = None

    @classmethod
    def from_params(cls, params) -> InboxFilters:
        def integer(name):
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
    """Counts for the filter bar: total, overdue, by step, by plan type, by cycle (one query)."""
    now = clock.now()
    rows = (
        WorkItem.objects.filter(_mine(user, agency_ids), is_open=True)
        .values("step", "plan__plan_type", "plan__cycle_id", "plan__cycle__year")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now)))
    )
    counts: dict[str, Any] = {"total": 0, "overdue": 0, "step": {}, "type": {}, "cycle": {}}
    for row in rows:
        counts["total"] += row["n"]
        counts["overdue"] += row["late"]
        for key, value in (
            ("step", row["step"]),
            ("type", row["plan__plan_type"]),
            ("cycle", row["plan__cycle__year"]),
        ):
            counts[key][value] = counts[key].get(value, 0) + row["n"]
    return counts


def archive(*, user: User, agency_ids: list[int] | None = None) -> QuerySet[WorkItem]:
    agency_ids = agency_ids_of(user) if agency_ids is None else agency_ids
    return (
        WorkItem.objects.filter(_mine(user, agency_ids) | Q(closed_by=user), is_open=False)
        .select_related("plan__unit", "plan__cycle", "agency", "closed_by")
        .order_by("-closed_at", "-pk")
    )


def open_items_of(plan: Plan) -> QuerySet[WorkItem]:
    return WorkItem.objects.filter(plan=plan, is_open=True).select_related("agency", "assignee").order_by("pk")


def workbench(*, user: User, plan: Plan, sources: list[FundingSource]) -> list[dict[str, Any]]:
    """The children of a parent plan with status, round, own totals and change since their last
    round. ``sources`` are the funding sources of the plan's period (its children's too: same
    cycle); each row's ``amounts`` follow their order. Four queries whatever the number of children."""
    children = list(
        Plan.objects.filter(plan_selectors.plan_scope_q(user), parent=plan)
        .select_related("unit", "cycle")  # the cycle names the period whose sources the totals use
        .order_by("unit__code")
    )
    totals = plan_selectors.line_totals_for(children)
    last_rounds = _last_round_totals([c.pk for c in children])
    rows = []
    for child in children:
        own = totals.get(child.pk) or plan_selectors.zero_totals(sources)
        previous = last_rounds.get(child.pk)
        change = None if previous is None else own["total"] - previous
        rows.append(
            {
                "plan": child,
                "totals": own,
                "amounts": [own.get(source.code, ZERO) for source in sources],
                "round": child.round_number,
                "change": change,
                "done": child.status in (PlanStatus.ACCEPTED, PlanStatus.WAIVED),
            }
        )
    return rows


def _last_round_totals(plan_ids: list[int]) -> dict[int, Any]:
    """Each plan's total at its last round, read from the snapshot's JSON in the database
    (one key, not whole snapshots)."""
    from planning.models import PlanRound

    latest: dict[int, Any] = {}
    rows = (
        PlanRound.objects.filter(plan_id__in=plan_ids)
        .order_by("plan_id", "number")
        .values_list("plan_id", "snapshot__totals__total")
    )
    for plan_id, total in rows:
        latest[plan_id] = Decimal(str(total or "0"))
    return latest
