"""Roll-up on the three-level tree (commune → district → province) and envelopes."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from directory.models import User
from planning import selectors, services
from planning.models import Plan
from tests.periods import SOURCES_2021_2025
from tests.planning.conftest import COMMUNE_DRAFTER, DISTRICT_DRAFTER, PROVINCE_DRAFTER


def user(name: str) -> User:
    return User.objects.get(username=name)


SOURCES_2021 = tuple(SOURCES_2021_2025)


def put_lines(username: str, plan: Plan, rows: list[tuple[str, str, str, str, str]]) -> None:
    """Lines of a 2021-2025 plan: (item, then one amount per source of the period in order)."""
    services.plan_lines_replace(
        actor=user(username),
        plan=plan,
        rows=[{"item": item, "amounts": dict(zip(SOURCES_2021, amounts, strict=True))} for item, *amounts in rows],
    )


def test_three_level_roll_up_sums_each_level_by_item_and_source(lai_chau, phong_tho, sin_suoi_ho):
    other_commune = Plan.objects.get(unit__code="03549", cycle=phong_tho.cycle, plan_type="annual")
    put_lines(COMMUNE_DRAFTER, sin_suoi_ho, [("2", "0", "100", "10", "0"), ("5", "0", "50", "0", "5")])
    other_commune.lines.all().delete()
    put_lines("t3-c03549-ubnd-drafter", other_commune, [("2", "0", "7.5", "0", "0")])
    put_lines(PROVINCE_DRAFTER, lai_chau, [("7.1", "0", "1000", "0", "0")])

    district = selectors.plan_totals(phong_tho)
    assert district["own"]["total"] == Decimal("162756")
    assert district["total"] == Decimal("162756") + Decimal("165") + Decimal("7.5")
    assert district["by_item"]["2"]["central_recurrent"] == Decimal("10515") + Decimal("100") + Decimal("7.5")
    assert district["by_item"]["2"]["local"] == Decimal("366") + Decimal("10")
    assert district["by_item"]["5"]["other"] == Decimal("1205")

    province = selectors.plan_totals(lai_chau)
    assert province["own"]["total"] == Decimal("1000")
    assert province["total"] == district["total"] + Decimal("1000")
    assert province["by_project"]["7"]["central_recurrent"] == Decimal("852") + Decimal("326") + Decimal("1000")

    commune = selectors.plan_totals(sin_suoi_ho)
    assert commune["total"] == Decimal("165")


def test_roll_up_stays_inside_the_cycle_and_type(lai_chau, phong_tho):
    review = services.plan_create(
        actor=user(DISTRICT_DRAFTER), cycle=phong_tho.cycle, unit=phong_tho.unit, plan_type="household_review"
    )
    assert selectors.plan_totals(review)["total"] == 0
    assert selectors.plan_totals(lai_chau)["total"] == Decimal("162756")


def test_child_over_its_envelope_is_named_line_by_line(phong_tho, sin_suoi_ho):
    put_lines(COMMUNE_DRAFTER, sin_suoi_ho, [("2", "0", "100", "10", "0"), ("3.1", "0", "60", "0", "0")])
    services.envelope_set(
        actor=user(DISTRICT_DRAFTER), child=sin_suoi_ho, ceilings={"central_recurrent": "150", "local": "20"}
    )
    violations = services.envelope_violations(sin_suoi_ho)
    assert [v["source"] for v in violations] == ["central_recurrent"]
    assert violations[0]["excess"] == "10.000" or Decimal(violations[0]["excess"]) == Decimal("10")
    assert {line["item"] for line in violations[0]["lines"]} == {"2", "3.1"}


def test_only_the_parent_sets_an_envelope(sin_suoi_ho):
    with pytest.raises(PermissionDenied):
        services.envelope_set(actor=user(COMMUNE_DRAFTER), child=sin_suoi_ho, ceilings={"local": "1"})
    with pytest.raises(ValidationError) as error:
        services.envelope_set(actor=user(DISTRICT_DRAFTER), child=sin_suoi_ho, ceilings={"local": "-1"})
    assert "local" in error.value.message_dict


def test_totals_take_a_constant_number_of_queries(lai_chau, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        selectors.plan_totals(lai_chau)


def test_a_page_of_plans_gets_the_same_money_as_each_plan_alone(
    lai_chau, phong_tho, sin_suoi_ho, django_assert_max_num_queries
):
    """plan_money_for (lists, inboxes, workbenches) and plan_totals (one plan) follow one rule."""
    put_lines(COMMUNE_DRAFTER, sin_suoi_ho, [("2", "0", "100", "10", "0")])
    waived = Plan.objects.get(unit__code="03549", cycle=phong_tho.cycle, plan_type="annual")
    put_lines("t3-c03549-ubnd-drafter", waived, [("2", "0", "7.5", "0", "0")])
    Plan.objects.filter(pk=waived.pk).update(status="waived")  # released by the district: not counted
    plans = list(Plan.objects.filter(cycle=phong_tho.cycle).select_related("cycle", "unit"))
    with django_assert_max_num_queries(4):
        money = selectors.plan_money_for(plans)
    for plan in plans:
        alone = selectors.plan_totals(plan)
        assert money[plan.pk]["total"]["total"] == alone["total"], plan
        assert money[plan.pk]["own"] == alone["own"], plan
        assert money[plan.pk]["below"] == alone["below"], plan
    assert money[phong_tho.pk]["total"]["total"] == Decimal("162756") + Decimal("110")
    assert money[phong_tho.pk]["below"]["total"] == Decimal("110")
    assert money[lai_chau.pk]["total"]["total"] == Decimal("162756") + Decimal("110")
    assert money[waived.pk]["total"]["total"] == Decimal("7.5")  # its own figure still reads
