"""Demo: the 2026 household-review cycle of two-tier Lai Châu, so reminders can be watched.

The household review's August deadlines (seed 004: province guidance before 15/8, commune plans
before 30/8) fall in 2026 on Friday 14/8 and, 29/8 being a Saturday, Friday 28/8. After
``make demo``::

    python manage.py cycle_clock set 2026-08-28

and within a minute the scheduler's sweep sends the communes "today is the deadline" and, the
province's guidance being two weeks late, an overdue reminder and an escalation to the ministry.

The 2026 cycle belongs to programme period 2026-2030, whose catalogue ``planning/data/`` loads
first (``planning.demo``). ``load()`` is idempotent; demo/loader.py calls it after the workflows
demo.
"""

from __future__ import annotations

from django.db import transaction

from directory.demo import PROVINCE, ensure_demo_allowed
from directory.models import AdministrativeUnit, Role, Structure, Tier, User
from planning import services as planning
from planning.models import Plan, PlanType, ProgrammePeriod
from workflows import services as workflows

YEAR = 2026
PERIOD = "2026-2030"


def _officer(unit: AdministrativeUnit) -> User | None:
    """A head of the unit (drafters may not open a plan's route on their own in every unit)."""
    return (
        User.objects.filter(memberships__agency__unit=unit, memberships__role__in=[Role.HEAD, Role.DRAFTER])
        .order_by("memberships__role", "pk")
        .first()
    )


@transaction.atomic
def load() -> list[Plan]:
    """Create (once) the period, the 2026 two-tier cycle and its household-review plans, each
    with its route started. Returns the plans."""
    ensure_demo_allowed()
    if not ProgrammePeriod.objects.filter(code=PERIOD).exists():
        planning.catalogue_load_all()
    cycle = planning.cycle_ensure(year=YEAR, structure=Structure.TWO_TIER)
    two = AdministrativeUnit.objects.filter(structure=Structure.TWO_TIER)
    province = two.get(code=PROVINCE, tier=Tier.PROVINCE)
    communes = (
        two.filter(province=province, tier=Tier.COMMUNE, agencies__memberships__isnull=False)
        .distinct()
        .order_by("code")
    )
    plans = []
    for unit in [province, *communes]:
        plan = Plan.objects.filter(cycle=cycle, unit=unit, plan_type=PlanType.HOUSEHOLD_REVIEW).first()
        if plan is None:
            actor = _officer(unit)
            if actor is None:
                continue
            plan = workflows.plan_open(actor=actor, cycle=cycle, unit=unit, plan_type=PlanType.HOUSEHOLD_REVIEW)
        else:
            workflows.process_ensure(plan)
        plans.append(plan)
    return plans
