"""The 2027 demo cycle of two-tier Lai Châu (demo/cycle_2027.py), as it stands on 1/12/2026."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from approvals.models import AuditEvent
from deadlines import clock
from deadlines import selectors as deadline_selectors
from deadlines.models import ClockOffset
from deadlines.workdays import WorkingCalendar
from demo import cycle_2027
from demo.loader import load_all
from directory import selectors as directory_selectors
from directory.models import AdministrativeUnit, AgencyKind, ProgrammeSetting, Role, Structure, User
from notifications.models import Notification
from planning import selectors as plan_selectors
from planning.models import (
    BudgetLine,
    Cycle,
    Envelope,
    FundingSource,
    Household,
    Indicator,
    LineAmount,
    Plan,
    PlanRound,
    PlanStatus,
)
from workflows.models import WorkItem

COUNCIL_DUE = dt.date(2026, 12, 9)


@pytest.fixture
def plans(demo) -> dict[str, Plan]:
    return cycle_2027.cycle_plans()


@pytest.fixture
def province_plan(plans) -> Plan:
    return plans[cycle_2027.PROVINCE]


@pytest.fixture
def communes(plans) -> list[Plan]:
    return [p for code, p in plans.items() if code != cycle_2027.PROVINCE]


def test_the_2027_cycle_is_two_tier_in_the_2026_2030_period(plans, province_plan, communes):
    cycle = Cycle.objects.get(year=2027, structure=Structure.TWO_TIER)
    assert cycle.period.code == "2026-2030"
    assert {p.cycle_id for p in plans.values()} == {cycle.pk}
    assert province_plan.unit.tier == "province" and province_plan.unit.code == "12"
    assert len(communes) >= 6
    assert all(p.parent_id == province_plan.pk for p in communes)


def test_the_province_rolls_up_its_communes_and_its_own_lines(province_plan, communes):
    sources = [s.code for s in plan_selectors.plan_sources(province_plan)]
    rollup = plan_selectors.plan_totals(province_plan)
    own = plan_selectors.plan_totals(province_plan, include_children=False)
    below = [plan_selectors.plan_totals(c, include_children=False) for c in communes]
    for key in [*sources, "central", "total"]:
        assert rollup[key] == own[key] + sum((t[key] for t in below), Decimal("0")), key
    assert rollup["own"]["total"] == own["total"] == Decimal("117650")
    assert all(Decimal("2000") <= t["total"] <= Decimal("20000") for t in below)


def test_every_line_is_on_the_2026_2030_catalogue_and_allowed_at_its_level(plans):
    lines = BudgetLine.objects.filter(plan__in=plans.values()).select_related("item__period", "plan__unit")
    assert lines.count() > 40
    for line in lines:
        assert line.item.period.code == "2026-2030", line.item.code
        assert line.item.budgetable, line.item.code
        assert not line.item.levels or line.plan.unit.tier in line.item.levels, line.item.code
        assert line.content


def test_every_source_of_the_period_is_used(plans, province_plan):
    used = set(
        LineAmount.objects.filter(line__plan__in=plans.values()).values_list("source__code", flat=True).distinct()
    )
    period_sources = set(FundingSource.objects.filter(period__code="2026-2030").values_list("code", flat=True))
    assert len(period_sources) == 7
    assert used == period_sources


def test_the_plans_carry_the_header_and_say_the_figures_are_illustrative(plans, province_plan):
    assert province_plan.issuing_body == "ỦY BAN NHÂN DÂN TỈNH LAI CHÂU"
    assert province_plan.place == "Lai Châu"
    for reference in ("257/2025/QH15", "417/QĐ-BNNMT ngày 31/01/2026", "358/2025/NĐ-CP", "60/2026/TT-BTC"):
        assert reference in province_plan.legal_bases
    for plan in plans.values():
        assert "số liệu minh họa" in plan.purpose
        assert plan.indicators.exists()


def test_the_council_task_is_due_on_9_december_2026(province_plan):
    assert province_plan.status == PlanStatus.COUNCIL
    item = WorkItem.objects.get(plan=province_plan, is_open=True)
    assert item.step == "council"
    assert item.agency.kind == AgencyKind.PEOPLE_COUNCIL
    assert timezone.localdate(item.due_at) == COUNCIL_DUE
    calendar = WorkingCalendar.load()
    assert deadline_selectors.deadline_of(plan=province_plan, step="council", calendar=calendar) == COUNCIL_DUE


def test_the_council_secretary_has_the_task_in_the_inbox(province_plan, login_api):
    secretary = User.objects.filter(
        memberships__agency__unit=province_plan.unit,
        memberships__agency__kind=AgencyKind.PEOPLE_COUNCIL,
        memberships__role=Role.COUNCIL_SECRETARY,
    ).first()
    tasks = login_api(secretary.username).get("/api/v1/tasks/").json()["results"]
    mine = [t for t in tasks if t["plan"] == province_plan.pk]
    assert [t["step"] for t in mine] == ["council"]
    assert mine[0]["due_at"].startswith("2026-12-09")


def test_the_states_were_reached_through_the_route(province_plan, communes):
    assert {p.status for p in communes} == {PlanStatus.ACCEPTED}
    for plan in communes:
        actions = list(AuditEvent.objects.filter(plan=plan).order_by("pk").values_list("action", flat=True))
        assert actions in (["submit", "accept"], ["submit", "return", "submit", "accept"])
        assert Envelope.objects.filter(child=plan).exists()
    events = AuditEvent.objects.filter(plan=province_plan).order_by("pk").select_related("agency")
    assert [(e.action, e.agency.kind) for e in events] == [
        ("submit", AgencyKind.AGRICULTURE),
        ("accept", AgencyKind.PLANNING),
        ("accept", AgencyKind.FINANCE),
    ]


def test_one_commune_was_returned_with_a_reason_and_fixed_its_line(communes):
    returned = [p for p in communes if AuditEvent.objects.filter(plan=p, action="return").exists()]
    assert len(returned) == 1
    plan = returned[0]
    event = AuditEvent.objects.get(plan=plan, action="return")
    assert "kế hoạch đầu tư công trung hạn" in event.comment
    assert event.data["line_comments"][0]["line"] == "C1.02.01"
    assert plan.round_number == 2
    assert PlanRound.objects.filter(plan=plan).count() == 2
    road = plan.lines.get(item__code="C1.02.01")
    assert "local_commune" in road.amount_map


def test_the_successor_of_sin_suoi_ho_has_a_2027_plan_with_households(plans):
    old = AdministrativeUnit.objects.get(structure=Structure.THREE_TIER, code="03592")
    successor = directory_selectors.unit_successors(old).get(structure=Structure.TWO_TIER)
    assert successor == cycle_2027.sin_suoi_ho_successor()
    plan = plans[successor.code]
    assert plan.status == PlanStatus.ACCEPTED
    assert Household.objects.filter(plan=plan).count() == 8
    assert plan_selectors.plan_totals(plan, include_children=False)["total"] == Decimal("18200")


def test_the_standing_agency_of_two_tier_lai_chau_is_agriculture_and_environment(province_plan):
    setting = ProgrammeSetting.objects.get(unit=province_plan.unit, period="2026-2030")
    assert setting.standing_agency.kind == AgencyKind.AGRICULTURE


def test_the_2023_demo_is_unchanged(demo):
    phong_tho = Plan.objects.get(cycle__year=2023, unit__code="109", unit__structure=Structure.THREE_TIER)
    assert plan_selectors.plan_totals(phong_tho)["total"] == Decimal("162756")


def _counts() -> dict[str, int]:
    models = (Cycle, Plan, BudgetLine, LineAmount, Indicator, Household, Envelope, PlanRound, WorkItem, AuditEvent)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["Notification"] = Notification.objects.count()
    counts["User"] = User.objects.count()
    return counts


def test_loading_the_demo_twice_changes_nothing(demo):
    before = _counts()
    offset_before = list(ClockOffset.objects.values_list("offset", flat=True))
    load_all()
    assert _counts() == before
    assert list(ClockOffset.objects.values_list("offset", flat=True)) == offset_before


def test_the_cycle_is_loaded_on_the_demo_clock_of_1_december_and_the_clock_put_back(db):
    ClockOffset.objects.create(offset=dt.timedelta(days=-90), note="someone's cycle_clock")
    with cycle_2027._application_clock_at(cycle_2027.AS_OF):
        assert clock.today() == dt.date(2026, 12, 1)
    assert ClockOffset.objects.get().offset == dt.timedelta(days=-90)
    ClockOffset.objects.all().delete()
    with cycle_2027._application_clock_at(cycle_2027.AS_OF):
        assert clock.today() == dt.date(2026, 12, 1)
    assert not ClockOffset.objects.exists()
