"""Reads of plans, scoped to the caller, and the SQL roll-up of their money."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from directory.models import AdministrativeUnit, Membership, Role, Tier, User
from directory.selectors import units_operated_by
from planning.models import AMOUNT_FIELDS, BudgetLine, CatalogueItem, LocalLabel, Plan, PlanRound

ZERO = Decimal("0")


def plan_scope_q(user: User) -> Q:
    """Plans the user may see: their own units' and everything below them.

    The ministry (the nation unit) sees the provinces' plans. Built from the plan's own
    indexed unit/province/district columns, never from guardian's per-row join.
    """
    q = Q(pk__in=[])
    for unit in units_operated_by(user).only("pk", "tier"):
        if unit.tier == Tier.NATION:
            q |= Q(unit__tier=Tier.PROVINCE)
        elif unit.tier == Tier.PROVINCE:
            q |= Q(unit_id=unit.pk) | Q(province_id=unit.pk)
        elif unit.tier == Tier.DISTRICT:
            q |= Q(unit_id=unit.pk) | Q(district_id=unit.pk)
        else:
            q |= Q(unit_id=unit.pk)
    return q


def plan_list(
    *,
    user: User,
    cycle: int | None = None,
    unit: AdministrativeUnit | None = None,
    plan_type: str | None = None,
    status: str | None = None,
) -> QuerySet[Plan]:
    qs = Plan.objects.filter(plan_scope_q(user)).select_related("cycle", "unit")
    if cycle:
        qs = qs.filter(cycle_id=cycle)
    if unit is not None:
        qs = qs.filter(unit=unit)
    if plan_type:
        qs = qs.filter(plan_type=plan_type)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("cycle__year", "plan_type", "unit__code")


def plan_get_for_user(*, user: User, plan_id: int, for_update: bool = False) -> Plan:
    """The plan if the caller may see it; otherwise 404, never revealing that it exists."""
    qs = Plan.objects.filter(plan_scope_q(user)).select_related("cycle__period", "unit__parent", "parent")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=plan_id)
    except (Plan.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def user_roles_on_unit(user: User, unit: AdministrativeUnit) -> set[str]:
    return set(Membership.objects.filter(user=user, agency__unit=unit).values_list("role", flat=True))


EDITOR_ROLES = frozenset({Role.DRAFTER, Role.HEAD})


def edit_refusal(user: User, plan: Plan) -> str | None:
    """Why the user may not edit the plan's content: "role" (not an editor of its unit),
    "locked" (its own editor, but the plan has moved on), or None when they may."""
    if not user_roles_on_unit(user, plan.unit) & EDITOR_ROLES:
        return "role"
    return None if plan.is_editable else "locked"


def can_edit_content(user: User, plan: Plan) -> bool:
    """Drafters and heads of the plan's own unit, while the plan is a draft or returned."""
    return edit_refusal(user, plan) is None


def catalogue_for_period(period_code: str) -> QuerySet[CatalogueItem]:
    return CatalogueItem.objects.filter(period__code=period_code).select_related("parent").order_by("position")


def catalogue_for_province(period_code: str, province: AdministrativeUnit | None) -> QuerySet[CatalogueItem]:
    """The items a province uses in a period: its labelled subset when it has labels (with
    ``local_code``/``local_title`` annotated), else the whole national catalogue."""
    items = catalogue_for_period(period_code)
    if province is None or not LocalLabel.objects.filter(province=province, item__period__code=period_code).exists():
        return items.annotate(local_code=Value(""), local_title=Value(""))
    labels = LocalLabel.objects.filter(province=province, item=OuterRef("pk"))
    return items.filter(local_labels__province=province).annotate(
        local_code=Subquery(labels.values("local_code")[:1]), local_title=Subquery(labels.values("local_title")[:1])
    )


def catalogue_for_plan(plan: Plan) -> QuerySet[CatalogueItem]:
    province = plan.unit if plan.unit.tier == Tier.PROVINCE else plan.province
    return catalogue_for_province(plan.cycle.period.code, province)


# --- totals -------------------------------------------------------------------------------


def _sums(lines: QuerySet[BudgetLine], *group_by: str) -> QuerySet:
    aggregates = {field: Coalesce(Sum(field), ZERO) for field in AMOUNT_FIELDS}
    return lines.values(*group_by).annotate(**aggregates) if group_by else lines.aggregate(**aggregates)


def subtree_lines(plan: Plan) -> QuerySet[BudgetLine]:
    """Lines of the plan and of every plan below it in the same cycle and type.

    The plans are chosen first (an indexed lookup on plan) and the lines by ``plan_id IN``:
    an OR across the join would scan every budget line of the country."""
    below = {Tier.PROVINCE: Q(province_id=plan.unit_id), Tier.DISTRICT: Q(district_id=plan.unit_id)}
    same_cycle = Q(cycle_id=plan.cycle_id, plan_type=plan.plan_type)
    if plan.unit.tier == Tier.NATION:
        plans = Plan.objects.filter(same_cycle)
    elif plan.unit.tier in below:
        plans = Plan.objects.filter(Q(pk=plan.pk) | (below[plan.unit.tier] & same_cycle))
    else:
        return BudgetLine.objects.filter(plan_id=plan.pk)
    return BudgetLine.objects.filter(plan_id__in=plans.values("pk"))


def _with_totals(row: dict) -> dict[str, Decimal]:
    out = {field: row[field] for field in AMOUNT_FIELDS}
    out["central"] = out["central_investment"] + out["central_recurrent"]
    out["total"] = out["central"] + out["local"] + out["other"]
    return out


def totals(lines: QuerySet[BudgetLine]) -> dict:
    """Sums per source, per catalogue item and per project (the item's parent, or the item
    itself when it has no sub-projects), from one GROUP BY over the lines; the overall and
    project sums add up the few per-item rows in Python."""
    rows = list(_sums(lines, "item_id"))
    items = {
        i.pk: i for i in CatalogueItem.objects.filter(pk__in=[r["item_id"] for r in rows]).select_related("parent")
    }
    by_item: dict[str, dict[str, Decimal]] = {}
    by_project: dict[str, dict[str, Decimal]] = {}
    overall = zero_totals()
    for row in sorted(rows, key=lambda r: items[r["item_id"]].position):
        item = items[row["item_id"]]
        sums = _with_totals(row)
        by_item[item.code] = sums
        project = by_project.setdefault(item.parent.code if item.parent else item.code, zero_totals())
        for key, value in sums.items():
            project[key] += value
            overall[key] += value
    return {**overall, "by_item": by_item, "by_project": by_project}


def plan_totals(plan: Plan, *, include_children: bool = True) -> dict:
    """Totals of a plan: its own lines, plus (for a parent plan) everything below it."""
    lines = subtree_lines(plan) if include_children else plan.lines.all()
    result = totals(lines)
    if include_children:
        result["own"] = _with_totals(_sums(plan.lines.all()))
    return result


def zero_totals() -> dict[str, Decimal]:
    return _with_totals(dict.fromkeys(AMOUNT_FIELDS, ZERO))


def line_totals_for(plans: Iterable[Plan]) -> dict[int, dict[str, Decimal]]:
    """Own totals of many plans at once (one query), keyed by plan id."""
    rows = _sums(BudgetLine.objects.filter(plan__in=list(plans)), "plan_id")
    return {row["plan_id"]: _with_totals(row) for row in rows}


def rounds_of(plan: Plan) -> QuerySet[PlanRound]:
    return plan.rounds.select_related("created_by").order_by("number")
