"""Personas and clocks for the deadline tests.

The 2026 household-review cycle of two-tier Lai Châu (``deadlines.demo``) is loaded on
10 August 2026 (time-machine), so its tasks exist before any reminder threshold:

* province guidance: before 15/8/2026 → last day Friday 14/8;
* commune plans: before 30/8/2026 → 29/8 is a Saturday → Friday 28/8 (rule "previous").

Personas: ``P_HEAD`` heads two-tier Lai Châu's standing agency (agriculture, 2026-2030), the
supervising level of its communes; ``C_HEAD``/``C_DRAFTER`` run the first staffed commune;
``OTHER_C_HEAD`` runs another commune (no authority over the first); ``MINISTRY_HEAD``
supervises the province.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from deadlines import demo as deadlines_demo
from deadlines.models import DeadlineTimer
from directory.models import AdministrativeUnit, Structure, Tier, User
from planning.models import Plan, PlanType
from workflows.models import WorkItem

VN = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
P_HEAD = "t2-p12-agri-head"
P_DRAFTER = "t2-p12-agri-drafter"
MINISTRY_HEAD = "vn-nVN-ministry-head"


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN)


def local_day(moment: dt.datetime | None) -> dt.date | None:
    return moment.astimezone(VN).date() if moment else None


@pytest.fixture
def august_10(time_machine):
    """Everything the test creates happens on Monday 10 August 2026, 09:00 (Vietnam)."""
    time_machine.move_to(at(2026, 8, 10), tick=False)
    return time_machine


@pytest.fixture
def household_2026(august_10, demo) -> dict[str, Plan]:
    """The demo plus the 2026 household-review plans, keyed "province" and by commune code.

    Whether the session's demo already holds them (loaded at the real date) or they are made
    now, their tasks are dated 10/8/2026 and not yet armed, as if opened that day.
    """
    plans = deadlines_demo.load()
    WorkItem.objects.filter(plan__in=plans).update(created_at=at(2026, 8, 10))
    DeadlineTimer.objects.filter(work_item__plan__in=plans).delete()
    return {("province" if p.unit.tier == Tier.PROVINCE else p.unit.code): p for p in plans}


def communes(plans: dict[str, Plan]) -> list[Plan]:
    return [p for key, p in sorted(plans.items()) if key != "province"]


def first_commune(plans: dict[str, Plan]) -> Plan:
    return communes(plans)[0]


def head_of(unit: AdministrativeUnit) -> User:
    return User.objects.get(username=f"t2-c{unit.code}-ubnd-head")


def drafter_of(unit: AdministrativeUnit) -> User:
    return User.objects.get(username=f"t2-c{unit.code}-ubnd-drafter")


def open_item(plan: Plan) -> WorkItem:
    return WorkItem.objects.get(plan=plan, is_open=True)


def household_plan(code: str, year: int = 2026, structure: str = Structure.TWO_TIER) -> Plan:
    return Plan.objects.get(
        unit__structure=structure, unit__code=code, cycle__year=year, plan_type=PlanType.HOUSEHOLD_REVIEW
    )
