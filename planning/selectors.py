"""Reads of plans, scoped to the caller, and the SQL roll-up of their money."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.http import Http404
from django.utils.translation import gettext as _

from directory import authority
from directory.models import AdministrativeUnit, Role, Tier, User
from directory.selectors import units_operated_by
from planning.models import (
    BudgetLine,
    CatalogueItem,
    FundingSource,
    LineAmount,
    LocalLabel,
    Plan,
    PlanRound,
    PlanStatus,
    ProgrammePeriod,
    RuralCriterion,
)

ZERO = Decimal("0")


def plan_scope_q(user: User) -> Q:
    """Plans the user may see: their own units' and everything below them.

    The ministry (the nation unit) sees the provinces' plans. Built from the plan's own
    indexed unit/province/district columns, never from guardian's per-row join.

    History: a two-tier unit also sees the plans of the three-tier units it succeeded on
    1 July 2025 (``directory.UnitSuccession``): a commune its former communes' plans (the
    2021-2025 period), a province its former provinces' plans and everything below them, as
    the old province saw them. Seeing is all: acting on a plan takes a role in the plan's own
    unit (or the unit its route names), which no two-tier agency has. The history is a
    subquery inside the same statement, so it costs no extra query.
    """
    from directory.selectors import predecessor_ids

    q = Q(pk__in=[])
    units = list(units_operated_by(user).only("pk", "tier", "structure"))
    for unit in units:
        if unit.tier == Tier.NATION:
            q |= Q(unit__tier=Tier.PROVINCE)
        elif unit.tier == Tier.PROVINCE:
            q |= Q(unit_id=unit.pk) | Q(province_id=unit.pk)
        elif unit.tier == Tier.DISTRICT:
            q |= Q(unit_id=unit.pk) | Q(district_id=unit.pk)
        else:
            q |= Q(unit_id=unit.pk)
    inherited = predecessor_ids(units)
    if inherited is not None:
        q |= Q(unit_id__in=inherited) | Q(province_id__in=inherited.filter(old__tier=Tier.PROVINCE))
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
    return authority.roles_in_unit(user, unit.pk)


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
    return (
        CatalogueItem.objects.filter(period__code=period_code).select_related("parent", "period").order_by("position")
    )


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


def criteria_for_period(period: ProgrammePeriod) -> QuerySet[RuralCriterion]:
    """The period's national rural criteria with their indicators (two queries)."""
    return RuralCriterion.objects.filter(period=period).prefetch_related("indicators").order_by("position")


def plan_catalogues(plan: Plan) -> dict[str, str | None]:
    """The catalogues a plan's lines may use: {period code: None when allowed, else why not}.

    The plan's own period always; an earlier period listed in
    ``settings.PLANNING_CONTINUING_CATALOGUES`` while 1 January of the plan's year is on or
    before its end date (continuing tasks: 2021-2025 lines in 2026 plans, not in 2027)."""
    period = plan.cycle.period
    allowed: dict[str, str | None] = {period.code: None}
    continuing = settings.PLANNING_CONTINUING_CATALOGUES
    earlier = ProgrammePeriod.objects.filter(code__in=list(continuing), last_year__lt=period.first_year)
    for code in earlier.order_by("-first_year").values_list("code", flat=True):
        until = continuing[code]
        if dt.date(plan.cycle.year, 1, 1) <= until:
            allowed[code] = None
        else:
            allowed[code] = _(
                "Danh mục giai đoạn %(old)s chỉ dùng cho nhiệm vụ chuyển tiếp đến hết ngày %(until)s; "
                "kế hoạch năm %(year)s chỉ nhận nội dung của danh mục giai đoạn %(period)s."
            ) % {"old": code, "until": until.strftime("%d/%m/%Y"), "year": plan.cycle.year, "period": period.code}
    return allowed


def catalogue_for_plan(plan: Plan) -> list[CatalogueItem]:
    """Every item a plan's lines may use, in document order: its period's (the province's
    subset) and then, in a dual-catalogue year, the continuing catalogue's."""
    province = plan.unit if plan.unit.tier == Tier.PROVINCE else plan.province
    return [
        item
        for code, refusal in plan_catalogues(plan).items()
        if refusal is None
        for item in catalogue_for_province(code, province)
    ]


# --- money -------------------------------------------------------------------------------
#
# A plan's money is its lines' amounts, one row per (line, source of the period). Every figure
# shown anywhere (pages, exports, the API, the workbench) comes from ``totals`` below: a dict
# with one key per source code of the period, plus "central" (the sources of the central
# group) and "total"; ``by_item`` and ``by_project`` have the same shape.

DERIVED_KEYS = ("central", "total")


# The funding sources of each period read so far, in column order: catalogue data, written only
# by ``services.catalogue_load`` (``load_catalogue``, at setup) and the migrations. A save or a
# delete of a source or a period empties it (``planning.apps``); a process running while another
# one re-loads the catalogue keeps its copy until it restarts. Shared: never modify the rows.
_sources_by_period: dict[int, tuple[FundingSource, ...]] = {}


def forget_sources(**_kwargs: Any) -> None:
    """Empty the process's copy of the periods' funding sources (signal receiver)."""
    _sources_by_period.clear()


def sources_of_periods(period_ids: Iterable[int]) -> dict[int, list[FundingSource]]:
    """The funding sources of each period, in column order: one query for the periods this
    process has not read yet, none for the others."""
    wanted = set(period_ids)
    missing = wanted - set(_sources_by_period)
    if missing:
        found: dict[int, list[FundingSource]] = {period_id: [] for period_id in missing}
        for source in FundingSource.objects.filter(period_id__in=missing).order_by("period_id", "position"):
            found[source.period_id].append(source)
        _sources_by_period.update({period_id: tuple(sources) for period_id, sources in found.items()})
    return {period_id: list(_sources_by_period.get(period_id, ())) for period_id in wanted}


def period_sources(period: ProgrammePeriod | int) -> list[FundingSource]:
    """The funding sources of a period, in column order."""
    period_id = period if isinstance(period, int) else period.pk
    return sources_of_periods([period_id])[period_id]


def plan_sources(plan: Plan) -> list[FundingSource]:
    """The sources of the plan's period: the process's copy when the plan's cycle is loaded,
    else one query (without loading the cycle)."""
    if Plan.cycle.is_cached(plan):
        return period_sources(plan.cycle.period_id)
    return list(FundingSource.objects.filter(period__cycles__id=plan.cycle_id).order_by("position"))


def plan_lines(plan: Plan) -> QuerySet[BudgetLine]:
    """The plan's lines in order, with their item, catalogue and amounts (three queries)."""
    return (
        BudgetLine.objects.filter(plan_id=plan.pk)
        .select_related("item__period", "item__parent")
        .prefetch_related(Prefetch("amounts", queryset=LineAmount.objects.select_related("source")))
        .order_by("position")
    )


def with_derived(sources: list[FundingSource], amounts: dict[str, Decimal]) -> dict[str, Decimal]:
    """Amounts per source code (missing ones zero) with the central subtotal and the total."""
    out = {s.code: amounts.get(s.code, ZERO) for s in sources}
    out["central"] = sum((out[s.code] for s in sources if s.group == FundingSource.Group.CENTRAL), ZERO)
    out["total"] = sum((out[s.code] for s in sources), ZERO)
    return out


def zero_totals(sources: list[FundingSource]) -> dict[str, Decimal]:
    return with_derived(sources, {})


def line_amounts(line: BudgetLine, sources: list[FundingSource]) -> dict[str, Decimal]:
    """One line's amounts with its subtotals (``amounts`` prefetched, see ``plan_lines``)."""
    return with_derived(sources, line.amount_map)


Sums = dict[str, Decimal]


def _grouped(amounts: QuerySet[LineAmount], key: str) -> dict[Any, Sums]:
    """{key value: {source code: sum}} from one GROUP BY over the amounts."""
    return _grouped_with_own(amounts, key, own_plan_id=None)[0]


def _grouped_with_own(
    amounts: QuerySet[LineAmount], key: str, *, own_plan_id: int | None
) -> tuple[dict[Any, Sums], dict[Any, Sums]]:
    """As ``_grouped``, and {key value: {source code: sum of that plan's own lines}} in the same
    query (a filtered SUM), as ``(sums, own)``."""
    out: dict[Any, Sums] = {}
    own: dict[Any, Sums] = {}
    aggregates = {"sum": Sum("amount")}
    if own_plan_id is not None:
        aggregates["own"] = Sum("amount", filter=Q(plan_id=own_plan_id))
    for row in amounts.values(key, "source__code").annotate(**aggregates).order_by():
        out.setdefault(row[key], {})[row["source__code"]] = row["sum"]
        if row.get("own"):
            own.setdefault(row[key], {})[row["source__code"]] = row["own"]
    return out, own


# The rule of a parent plan's money (one rule for every page, file and API answer): its own
# lines plus the lines, as they stand now, of every plan below it in the same cycle and type,
# except a waived plan (the level above released it from the cycle) and the plans below a
# waived one. A child's draft counts as it is typed: the figure is never older than the plans.
COUNTED_BELOW = ~Q(status=PlanStatus.WAIVED) & ~Q(parent__status=PlanStatus.WAIVED)


def subtree_plans(plan: Plan) -> QuerySet[Plan]:
    """The plan and every counted plan below it in the same cycle and type (an indexed lookup)."""
    below: dict[str, Q] = {Tier.PROVINCE: Q(province_id=plan.unit_id), Tier.DISTRICT: Q(district_id=plan.unit_id)}
    same_cycle = Q(cycle_id=plan.cycle_id, plan_type=plan.plan_type)
    if plan.unit.tier == Tier.NATION:
        return Plan.objects.filter(Q(pk=plan.pk) | (same_cycle & COUNTED_BELOW))
    if plan.unit.tier in below:
        return Plan.objects.filter(Q(pk=plan.pk) | (below[plan.unit.tier] & same_cycle & COUNTED_BELOW))
    return Plan.objects.filter(pk=plan.pk)


def subtree_amounts(plan: Plan) -> QuerySet[LineAmount]:
    """Amounts of the plan and of every plan below it. The plans are chosen first and the
    amounts by ``plan_id IN``: an OR across a join would scan every amount of the country."""
    return LineAmount.objects.filter(plan_id__in=subtree_plans(plan).values("pk"))


def totals(
    amounts: QuerySet[LineAmount], sources: list[FundingSource], *, own_plan_id: int | None = None
) -> dict[str, Any]:
    """Sums of the lines per source, from one GROUP BY over the amounts:

    - ``by_item``: per budgetable item (leaf) code;
    - ``by_group``: per item that has children (a project, a component, a component content),
      the sum of its leaves;
    - ``by_project``: per top-level item (2021-2025 project, 2026-2030 component);
    - and the overall sums at the top level. Each value has the shape of ``with_derived``;
    - with ``own_plan_id``, ``own``: the sums of that plan's own lines (same query)."""
    per_item, own_per_item = _grouped_with_own(amounts, "item_id", own_plan_id=own_plan_id)
    # Every item of the periods the lines use (a few dozen): the leaves and all their ancestors.
    periods = CatalogueItem.objects.filter(pk__in=list(per_item)).values("period_id")
    catalogue = {i.pk: i for i in CatalogueItem.objects.filter(period_id__in=periods)} if per_item else {}

    def parent(item: CatalogueItem) -> CatalogueItem | None:
        return catalogue.get(item.parent_id) if item.parent_id is not None else None

    by_item: dict[str, dict[str, Decimal]] = {}
    by_group: dict[str, dict[str, Decimal]] = {}
    by_project: dict[str, dict[str, Decimal]] = {}
    overall = zero_totals(sources)
    for item_id in sorted(per_item, key=lambda pk: (catalogue[pk].period_id, catalogue[pk].position)):
        item = catalogue[item_id]
        sums = with_derived(sources, per_item[item_id])
        by_item[item.code] = sums
        ancestor = parent(item)
        top = item
        while ancestor is not None:
            group = by_group.setdefault(ancestor.code, zero_totals(sources))
            for key, value in sums.items():
                group[key] += value
            top, ancestor = ancestor, parent(ancestor)
        project = by_project.setdefault(top.code, zero_totals(sources))
        for key, value in sums.items():
            project[key] += value
            overall[key] += value
    result = {**overall, "by_item": by_item, "by_group": by_group, "by_project": by_project}
    if own_plan_id is not None:
        own: dict[str, Decimal] = {}
        for sums in own_per_item.values():
            for code, value in sums.items():
                own[code] = own.get(code, ZERO) + value
        result["own"] = with_derived(sources, own)
    return result


def plan_totals(plan: Plan, *, include_children: bool = True) -> dict[str, Any]:
    """The plan's money (see ``COUNTED_BELOW``): its own lines plus everything counted below
    it, with ``own`` and ``below`` (flat, same keys) beside the totals. ``include_children=False``
    gives the own lines alone."""
    sources = plan_sources(plan)
    if not include_children:
        return totals(LineAmount.objects.filter(plan_id=plan.pk), sources)
    result = totals(subtree_amounts(plan), sources, own_plan_id=plan.pk)
    result["below"] = {key: result[key] - value for key, value in result["own"].items()}
    return result


def _flat(sums: dict[str, Any]) -> Sums:
    return {key: value for key, value in sums.items() if not isinstance(value, dict)}


def plan_money_for(plans: Iterable[Plan]) -> dict[int, dict[str, dict[str, Decimal]]]:
    """``{plan id: {"total", "own", "below"}}`` (each flat, as ``with_derived``) for a page of
    plans, by the same rule as ``plan_totals``, in a constant number of queries (own sums; the
    counted plans below the page's district and province plans, one UNION ALL; the sources,
    once per process: ``sources_of_periods``).
    Plans ``select_related("cycle", "unit")``."""
    plans = list(plans)
    if not plans:
        return {}
    own = _grouped(LineAmount.objects.filter(plan_id__in=[p.pk for p in plans]), "plan_id")
    below: dict[int, dict[str, Decimal]] = {}
    per_tier = []
    for tier, column in ((Tier.DISTRICT, "district_id"), (Tier.PROVINCE, "province_id")):
        parents = [p for p in plans if p.unit.tier == tier]
        if not parents:
            continue
        # The counted plans are chosen first and their amounts by ``plan_id IN`` (as
        # ``subtree_amounts``): the rule is then checked once per plan, not once per amount.
        counted = Plan.objects.filter(
            COUNTED_BELOW,
            **{f"{column}__in": {p.unit_id for p in parents}},
            cycle_id__in={p.cycle_id for p in parents},
            plan_type__in={p.plan_type for p in parents},
        )
        per_tier.append(
            LineAmount.objects.filter(plan_id__in=counted.values("pk"))
            .annotate(tier=Value(tier), parent_unit=F(f"plan__{column}"))
            .values("tier", "parent_unit", "plan__cycle_id", "plan__plan_type", "source__code")
            .annotate(sum=Sum("amount"))
            .order_by()
        )
    by_key: dict[tuple[str, int, int, str], Sums] = {}
    if per_tier:
        # Both tiers' sums in one statement (UNION ALL of the two groupings).
        rows = per_tier[0].union(*per_tier[1:], all=True) if len(per_tier) > 1 else per_tier[0]
        for row in rows:
            key = (row["tier"], row["parent_unit"], row["plan__cycle_id"], row["plan__plan_type"])
            by_key.setdefault(key, {})[row["source__code"]] = row["sum"]
    for plan in plans:
        if plan.unit.tier in (Tier.DISTRICT, Tier.PROVINCE):
            below[plan.pk] = by_key.get((plan.unit.tier, plan.unit_id, plan.cycle_id, plan.plan_type), {})
    # By period, not through the cycles: two cycles of one period on a page would list each source twice.
    sources = sources_of_periods({p.cycle.period_id for p in plans})
    out = {}
    for plan in plans:
        if plan.unit.tier == Tier.NATION:  # no such plan in the routes today; kept exact anyway
            whole = plan_totals(plan)
            out[plan.pk] = {"own": whole["own"], "below": whole["below"], "total": _flat(whole)}
            continue
        period_sources_ = sources.get(plan.cycle.period_id, [])
        own_sums = with_derived(period_sources_, own.get(plan.pk, {}))
        below_sums = with_derived(period_sources_, below.get(plan.pk, {}))
        out[plan.pk] = {
            "own": own_sums,
            "below": below_sums,
            "total": {key: own_sums[key] + below_sums[key] for key in own_sums},
        }
    return out


def rounds_of(plan: Plan) -> QuerySet[PlanRound]:
    return plan.rounds.select_related("created_by").order_by("number")
