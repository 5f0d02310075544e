"""The 2026-2030 period: its catalogue and sources over the API, 2027 plans on them, the
dual-catalogue year 2026, and bad lines refused with the field named and nothing saved."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from directory.models import AdministrativeUnit, Structure, Tier
from planning import selectors, services
from planning.models import Cycle, LineAmount, Plan, ProgrammePeriod
from tests.periods import SOURCES_2026_2030
from tests.planning import two_tier as two_tier_module

SOURCES_2026 = list(SOURCES_2026_2030)


def _leaf(period: str, *, tier: str) -> str:
    """A budgetable 2026-2030 content that ``tier`` may budget on."""
    items = selectors.catalogue_for_period(period).filter(budgetable=True)
    return next(i.code for i in items if not i.levels or tier in i.levels)


@pytest.fixture
def two_tier(demo):
    return two_tier_module.province(), two_tier_module.fresh_communes(2)


def _open(year: int, unit: AdministrativeUnit) -> Plan:
    return two_tier_module.open_plan(year, unit)


def test_the_catalogue_lists_two_components_and_fifteen_component_contents(demo, login_api):
    from tests.planning.conftest import COMMUNE_DRAFTER

    body = login_api(COMMUNE_DRAFTER).get("/api/v1/catalogue/", {"period": "2026-2030"}).json()
    assert body["period"] == "2026-2030"
    assert body["owner_vi"] == "Bộ Nông nghiệp và Môi trường"
    assert [s["code"] for s in body["sources"]] == SOURCES_2026
    items = {i["code"]: i for i in body["items"]}
    components = [i for i in body["items"] if i["kind"] == "component"]
    contents = [i for i in body["items"] if i["kind"] == "component_content"]
    assert [c["code"] for c in components] == ["C1", "C2"]
    assert len(contents) == 15
    assert {c["parent"] for c in contents} == {"C1", "C2"}
    # Each component content has numbered contents, or takes money itself (C1.06, none enumerated).
    for content in contents:
        children = [i for i in body["items"] if i["parent"] == content["code"]]
        assert children or content["budgetable"], content["code"]
        assert all(child["budgetable"] and child["kind"] == "content" for child in children)
    assert items["C1.02"]["budgetable"] is False
    assert "C1.02.14" in items  # operation and maintenance of finished works
    assert all(i["title_en"] for i in body["items"])
    assert "Bộ Dân tộc và Tôn giáo" in " ".join(items["C2"]["lead_ministries"])
    # The rural criteria of Decision 51/2025 are the period's indicator catalogue.
    assert len(body["criteria"]) == 10
    assert sum(len(c["indicators"]) for c in body["criteria"]) == 47


def test_a_2027_plan_takes_lines_on_every_source_and_rolls_up_to_the_province(two_tier, login_api):
    province, (first, second) = two_tier
    province_plan = _open(2027, province)  # the demo's, with its own communes' plans below it
    before = selectors.plan_totals(province_plan)
    plans = [_open(2027, first), _open(2027, second)]
    assert all(p.parent_id == province_plan.pk for p in plans)
    leaf = _leaf("2026-2030", tier=Tier.COMMUNE)
    for index, plan in enumerate(plans, start=1):
        amounts = {code: f"{index * (position + 1)}00.125" for position, code in enumerate(SOURCES_2026)}
        api = login_api(two_tier_module.officer(plan.unit).username)
        response = api.put(
            f"/api/v1/plans/{plan.pk}/lines/",
            [{"item": leaf, "content": "Đường liên thôn", "amounts": amounts}],
            format="json",
        )
        assert response.status_code == 200, response.json()
        line = response.json()[0]
        assert line["catalogue"] == "2026-2030"
        assert line["amounts"] == {code: f"{Decimal(value):.3f}" for code, value in amounts.items()}
    expected = {code: sum(Decimal(f"{i * (p + 1)}00.125") for i in (1, 2)) for p, code in enumerate(SOURCES_2026)}
    rollup = selectors.plan_totals(province_plan)
    assert {code: rollup[code] - before[code] for code in SOURCES_2026} == expected
    assert rollup["total"] - before["total"] == sum(expected.values())
    assert rollup["central"] == rollup["central_investment"] + rollup["central_recurrent"]
    assert rollup["own"] == before["own"]
    body = login_api(two_tier_module.officer(province).username).get(f"/api/v1/plans/{province_plan.pk}/totals/").json()
    assert body["total"] == f"{rollup['total']:.3f}"
    # The roll-up is the province's own lines plus every commune plan's own lines, to the digit.
    children = Plan.objects.filter(parent=province_plan)
    assert rollup["total"] == rollup["own"]["total"] + sum(
        selectors.plan_totals(child, include_children=False)["total"] for child in children
    )


def test_2026_carries_both_catalogues_and_2027_refuses_the_old_one(two_tier, login_api):
    _province, (commune, _other) = two_tier
    new_leaf = _leaf("2026-2030", tier=Tier.COMMUNE)
    rows = [
        {"item": new_leaf, "amounts": {"local_commune": "10"}},
        {"item": "3.1", "catalogue": "2021-2025", "content": "Chuyển tiếp", "amounts": {"central_recurrent": "25.5"}},
    ]
    plan_2026 = _open(2026, commune)
    api = login_api(two_tier_module.officer(commune).username)
    response = api.put(f"/api/v1/plans/{plan_2026.pk}/lines/", rows, format="json")
    assert response.status_code == 200, response.json()
    assert [(line["item"], line["catalogue"]) for line in response.json()] == [
        (new_leaf, "2026-2030"),
        ("3.1", "2021-2025"),
    ]
    assert selectors.plan_totals(plan_2026)["total"] == Decimal("35.5")

    plan_2027 = _open(2027, commune)
    response = api.put(f"/api/v1/plans/{plan_2027.pk}/lines/", rows, format="json")
    assert response.status_code == 400
    errors = response.json()["lines"]
    assert list(errors) == ["1"]
    message = errors["1"]["catalogue"][0]
    assert "31/12/2026" in message and "2027" in message and "2026-2030" in message
    assert not LineAmount.objects.filter(line__plan=plan_2027).exists()


def test_the_continuing_date_is_a_setting(two_tier, settings):
    _province, (commune, _other) = two_tier
    settings.PLANNING_CONTINUING_CATALOGUES = {"2021-2025": __import__("datetime").date(2027, 6, 30)}
    plan = _open(2027, commune)
    assert selectors.plan_catalogues(plan) == {"2026-2030": None, "2021-2025": None}


@pytest.mark.parametrize(
    ("row", "field", "needle"),
    [
        ({"item": "C9.99.99"}, "item", "C9.99.99"),  # an unknown content
        ({"item": "C1.02"}, "item", "C1.02"),  # a component content that has numbered contents
        ({"item": "C1"}, "item", "C1"),  # a component
        ({"item": "3.1", "catalogue": "2021-2025"}, "catalogue", "31/12/2026"),  # the old catalogue after its end
        ({"item": "3.1"}, "item", "2026-2030"),  # an old code, without saying its catalogue
        ({"item": "{leaf}", "amounts": {"bogus": "1"}}, "amounts", "bogus"),  # an unknown source
        ({"item": "{leaf}", "amounts": {"local": "1"}}, "amounts", "2021-2025"),  # a source of another period
        ({"item": "{leaf}", "amounts": {"credit": "-1"}}, "amounts", "âm"),  # negative
        ({"item": "{leaf}", "amounts": {"credit": "1.2345"}}, "amounts", "3"),  # four decimals
        ({"item": "{leaf}", "catalogue": "1990-1995"}, "catalogue", "1990-1995"),
    ],
)
def test_bad_2027_lines_name_the_field_and_save_nothing(two_tier, login_api, row, field, needle):
    _province, (commune, _other) = two_tier
    plan = _open(2027, commune)
    leaf = _leaf("2026-2030", tier=Tier.COMMUNE)
    api = login_api(two_tier_module.officer(commune).username)
    good = {"item": leaf, "amounts": {"credit": "7"}}
    assert api.put(f"/api/v1/plans/{plan.pk}/lines/", [good], format="json").status_code == 200
    before = sorted(LineAmount.objects.filter(line__plan=plan).values_list("source__code", "amount"))
    row = {key: (leaf if value == "{leaf}" else value) for key, value in row.items()}
    response = api.put(f"/api/v1/plans/{plan.pk}/lines/", [good, row], format="json")
    assert response.status_code == 400
    errors = response.json()["lines"]["1"]
    assert field in errors, errors
    assert needle in str(errors[field])
    assert sorted(LineAmount.objects.filter(line__plan=plan).values_list("source__code", "amount")) == before


def test_a_content_reserved_for_the_province_is_refused_to_a_commune(two_tier, login_api):
    _province, (commune, _other) = two_tier
    plan = _open(2027, commune)
    leaves = selectors.catalogue_for_period("2026-2030").filter(budgetable=True)
    provincial = next((i for i in leaves if i.levels and Tier.COMMUNE not in i.levels), None)
    if provincial is None:
        pytest.fail("the 2026-2030 catalogue should reserve at least one content to the province")
    response = login_api(two_tier_module.officer(commune).username).put(
        f"/api/v1/plans/{plan.pk}/lines/", [{"item": provincial.code, "amounts": {"credit": "1"}}], format="json"
    )
    assert response.status_code == 400
    assert "xã" in response.json()["lines"]["0"]["item"][0]


def test_a_cycle_of_a_period_without_a_catalogue_is_refused(demo):
    ProgrammePeriod.objects.create(code="2031-2035", title_vi="Giai đoạn sau", first_year=2031, last_year=2035)
    with pytest.raises(ValidationError) as refused:
        services.cycle_ensure(year=2032, structure=Structure.TWO_TIER)
    assert "2031-2035" in str(refused.value) and "year" in refused.value.message_dict
    assert not Cycle.objects.filter(year=2032).exists()
    with pytest.raises(ValidationError):
        services.cycle_ensure(year=2040, structure=Structure.TWO_TIER)


def test_opening_a_cycle_is_refused_the_same_way_by_the_api_and_the_command(demo, login_api):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from tests.planning.conftest import COMMUNE_DRAFTER

    ProgrammePeriod.objects.create(code="2031-2035", title_vi="Giai đoạn sau", first_year=2031, last_year=2035)
    admin = login_api("admin")
    refused = admin.post("/api/v1/cycles/", {"year": 2032, "structure": "two-tier"}, format="json")
    assert refused.status_code == 400
    assert "2031-2035" in refused.json()["year"][0]
    with pytest.raises(CommandError, match="2031-2035"):
        call_command("open_cycle", "2032", stdout=StringIO())
    assert login_api(COMMUNE_DRAFTER).post("/api/v1/cycles/", {"year": 2027}, format="json").status_code == 403
    opened = admin.post("/api/v1/cycles/", {"year": 2028, "structure": "two-tier"}, format="json")
    assert opened.status_code == 201, opened.json()
    assert opened.json()["period"] == "2026-2030"
    out = StringIO()
    call_command("open_cycle", "2029", stdout=out)
    assert "period=2026-2030" in out.getvalue()
    assert not Cycle.objects.filter(year=2032).exists()


def test_the_admin_form_refuses_a_cycle_without_a_catalogue(demo):
    from planning.admin import CycleForm

    ProgrammePeriod.objects.create(code="2031-2035", title_vi="Giai đoạn sau", first_year=2031, last_year=2035)
    period = ProgrammePeriod.objects.get(code="2031-2035")
    form = CycleForm(
        data={"year": 2033, "period": period.pk, "structure": "two-tier", "name": "x", "plan_types": '["annual"]'}
    )
    assert not form.is_valid()
    assert "2031-2035" in str(form.errors["period"])
    wrong = CycleForm(
        data={"year": 2027, "period": period.pk, "structure": "two-tier", "name": "x", "plan_types": '["annual"]'}
    )
    assert not wrong.is_valid() and "2026-2030" in str(wrong.errors["period"])
