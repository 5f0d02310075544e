"""Two-tier Lai Châu for the tests of the 2026-2030 period: officers, plans opened on demand,
and communes the demo leaves without plans (the demo's staffed communes carry its 2027 cycle,
past draft), each given a drafter of its own."""

from __future__ import annotations

from directory import services as directory
from directory.models import AdministrativeUnit, Agency, AgencyKind, Membership, Role, Structure, Tier, User
from planning import services
from planning.models import Plan, PlanType

PROVINCE_CODE = "12"


def province() -> AdministrativeUnit:
    return AdministrativeUnit.objects.get(structure=Structure.TWO_TIER, tier=Tier.PROVINCE, code=PROVINCE_CODE)


def officer(unit: AdministrativeUnit) -> User:
    """A drafter of one of the unit's agencies."""
    membership = Membership.objects.filter(agency__unit=unit, role=Role.DRAFTER).select_related("user").first()
    assert membership is not None, f"no drafter for {unit}"
    return membership.user


def staffed_communes(count: int = 2) -> list[AdministrativeUnit]:
    """The first demo communes with officers (they carry the demo's 2027 plans)."""
    communes = list(
        AdministrativeUnit.objects.filter(province=province(), tier=Tier.COMMUNE, agencies__memberships__isnull=False)
        .distinct()
        .order_by("code")[:count]
    )
    assert len(communes) == count
    return communes


def fresh_communes(count: int = 2) -> list[AdministrativeUnit]:
    """Communes of the province without any plan, each given its standard agencies and a
    drafter ``test-<code>-drafter``."""
    communes = list(
        AdministrativeUnit.objects.filter(province=province(), tier=Tier.COMMUNE, plans__isnull=True)
        .distinct()
        .order_by("code")[:count]
    )
    assert len(communes) == count
    directory.agencies_ensure_standard(units=communes)
    for unit in communes:
        committee = Agency.objects.get(unit=unit, kind=AgencyKind.PEOPLE_COMMITTEE)
        user = User.objects.create_user(username=f"test-{unit.code}-drafter", full_name=f"Cán bộ {unit.name}")
        directory.membership_add(user=user, agency=committee, role=Role.DRAFTER)
    return communes


def open_plan(year: int, unit: AdministrativeUnit, plan_type: str = PlanType.ANNUAL) -> Plan:
    """The unit's plan of ``year`` (opened by its drafter when there is none yet)."""
    cycle = services.cycle_ensure(year=year, structure=Structure.TWO_TIER)
    plan = Plan.objects.filter(cycle=cycle, unit=unit, plan_type=plan_type).first()
    if plan is None:
        plan = services.plan_create(actor=officer(unit), cycle=cycle, unit=unit, plan_type=plan_type)
    return Plan.objects.select_related("cycle__period", "unit").get(pk=plan.pk)
