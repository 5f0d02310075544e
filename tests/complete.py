"""Make a plan complete enough to submit (planning/data/completeness.json), through the services,
as its drafter would: only the parts it lacks are written, so a demo plan keeps its content.

Tests that drive a plan through its route call ``complete(plan)`` before the first submission:
the rule is never turned off, the plan is written."""

from __future__ import annotations

from directory.models import Role, User
from planning import completeness, selectors, services
from planning.models import Plan

SECTION_TEXTS = {
    "purpose": "Cụ thể hóa mục tiêu, nhiệm vụ của Chương trình trên địa bàn; huy động cả hệ thống chính trị tham gia.",
    "objectives": "Tỷ lệ hộ nghèo đa chiều giảm 2%; hỗ trợ sinh kế cho hộ nghèo, hộ cận nghèo.",
    "recipients": "Lưu: VT.",
}
INDICATOR = {"code": "GN-1", "name": "Tỷ lệ hộ nghèo đa chiều giảm", "unit": "%", "kind": "change", "value": "2"}
HOUSEHOLD = {
    "code": "H-01",
    "head_name": "Giàng A Páo",
    "cause": "Thiếu vốn sản xuất",
    "planned_support": "Hỗ trợ 01 con bò sinh sản",
    "responsible_organisation": "Hội Nông dân xã",
}


def editor_of(plan: Plan) -> User:
    """A drafter (else the head) of the plan's own unit."""
    users = User.objects.filter(
        memberships__agency__unit=plan.unit, memberships__role__in=[Role.DRAFTER, Role.HEAD], is_active=True
    )
    user = users.filter(memberships__role=Role.DRAFTER).order_by("username").first() or users.first()
    assert user is not None, f"no editor for {plan.unit}"
    return user


def first_line(plan: Plan, amount: str = "100") -> dict:
    """A budget line on the first item of the plan's catalogue its level may budget on."""
    item = next(
        i for i in selectors.catalogue_for_plan(plan) if i.budgetable and (not i.levels or plan.unit.tier in i.levels)
    )
    source = selectors.plan_sources(plan)[0]
    return {
        "item": item.code,
        "catalogue": item.period.code,
        "content": "Hỗ trợ phát triển sản xuất cho hộ nghèo",
        "amounts": {source.code: amount},
    }


def complete(plan: Plan, *, actor: User | None = None, amount: str = "100") -> Plan:
    """Write what the plan lacks; returns the plan as stored."""
    plan = Plan.objects.select_related("unit", "cycle__period").get(pk=plan.pk)
    missing = {item["field"] for item in completeness.missing(plan)}
    if not missing:
        return plan
    actor = actor or editor_of(plan)
    sections = {}
    for name in missing & set(services.HEADER_FIELDS):
        if name == "legal_bases":
            sections[name] = f"Căn cứ {plan.cycle.period.legal_basis or 'Quyết định phê duyệt Chương trình'};"
        else:
            sections[name] = SECTION_TEXTS.get(name, "Nội dung của kế hoạch.")
    if sections:
        services.plan_header_update(actor=actor, plan=plan, data=sections)
    if "lines" in missing:
        rows = services.snapshot_lines(plan)
        services.plan_lines_replace(actor=actor, plan=plan, rows=[*rows, first_line(plan, amount)])
    if "indicators" in missing:
        rows = services.snapshot_indicators(plan)
        services.plan_indicators_replace(actor=actor, plan=plan, rows=[*rows, INDICATOR])
    if "households" in missing:
        rows = services.snapshot_households(plan)
        services.plan_households_replace(actor=actor, plan=plan, rows=[*rows, HOUSEHOLD])
    plan = Plan.objects.select_related("unit", "cycle__period").get(pk=plan.pk)
    assert completeness.missing(plan) == [], completeness.missing(plan)
    return plan
