"""Search as officers type it: "sin suoi ho" finds "Sin Suối Hồ", on the plan list, the inbox and
the plans API; never outside what the officer may see; a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.models import AdministrativeUnit, Structure, Tier, User
from planning import search, selectors
from planning.models import Cycle, Plan
from tests.workflows.conftest import C_HEAD, D_HEAD, OUTSIDER, P_HEAD, plan_of


def _as(client, username):
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def foreign_sin_suoi_ho(demo) -> Plan:
    """A commune of the same name in another province (Điện Biên), with a 2023 plan."""
    province = AdministrativeUnit.objects.create(
        structure=Structure.THREE_TIER, tier=Tier.PROVINCE, code="11", name="Tỉnh Điện Biên", division_type="Tỉnh"
    )
    commune = AdministrativeUnit.objects.create(
        structure=Structure.THREE_TIER,
        tier=Tier.COMMUNE,
        code="99901",
        name="Xã Sin Suối Hồ",
        division_type="Xã",
        parent=province,
        province=province,
    )
    cycle = Cycle.objects.get(year=2023, structure=Structure.THREE_TIER)
    return Plan.objects.create(
        cycle=cycle,
        unit=commune,
        plan_type="annual",
        province=province,
        created_by=User.objects.get(username="admin"),
    )


def test_folding_strips_vietnamese_marks_and_d_with_stroke():
    assert search.fold("Sin Suối Hồ") == "sin suoi ho"
    assert search.fold("  ĐIỆN   Biên ") == "dien bien"
    assert search.words("Phường Đông Phong, 2023") == ["phuong", "dong", "phong,", "2023"]


def test_sin_suoi_ho_without_marks_finds_the_plan_on_the_plan_list(client, demo):
    page = _as(client, D_HEAD).get(reverse("planning:list"), {"q": "sin suoi ho"}).content.decode()
    plan = plan_of("03592")
    assert f'href="/plans/{plan.pk}/"' in page
    assert "Xã Sin Suối Hồ" in page and 'value="sin suoi ho"' in page
    # Only Sin Suối Hồ's plans: no other commune of the district.
    assert "Xã Mường So" not in page


def test_a_code_a_year_and_a_status_narrow_the_search(demo):
    user = User.objects.get(username=P_HEAD)
    found = list(search.search(selectors.plan_list(user=user), "03592 2023"))
    assert found and {(p.unit.code, p.cycle.year) for p in found} == {("03592", 2023)}
    drafts = list(search.search(selectors.plan_list(user=user), "sin suoi ho dang soan"))
    assert drafts and all(p.status == "draft" for p in drafts)


def test_an_outsiders_search_never_shows_another_provinces_plan(client, foreign_sin_suoi_ho):
    page = _as(client, P_HEAD).get(reverse("planning:list"), {"q": "sin suoi ho"}).content.decode()
    assert f'href="/plans/{plan_of("03592").pk}/"' in page
    assert f'href="/plans/{foreign_sin_suoi_ho.pk}/"' not in page
    outsider = _as(client, OUTSIDER).get(reverse("planning:list"), {"q": "sin suoi ho"}).content.decode()
    assert "Sin Suối Hồ" not in outsider.split('data-testid="plan-search"', 1)[1].split("</main>")[0].replace(
        'value="sin suoi ho"', ""
    )
    assert 'data-testid="no-results"' in outsider


def test_the_plans_api_takes_q_and_keeps_its_scope(login_api, foreign_sin_suoi_ho):
    rows = login_api(P_HEAD).get("/api/v1/plans/", {"q": "sin suoi ho"}).json()
    ids = {row["id"] for row in rows}
    assert plan_of("03592").pk in ids and foreign_sin_suoi_ho.pk not in ids
    assert login_api(OUTSIDER).get("/api/v1/plans/", {"q": "sin suoi ho"}).json() == []


def test_the_inbox_search_finds_the_communes_task(client, demo):
    page = _as(client, C_HEAD).get(reverse("workflows:inbox"), {"q": "SIN SUOI HO"}).content.decode()
    assert f'href="/plans/{plan_of("03592").pk}/task/"' in page
    other = _as(client, C_HEAD).get(reverse("workflows:inbox"), {"q": "muong so"}).content.decode()
    assert f'href="/plans/{plan_of("03592").pk}/task/"' not in other


def _queries(user, term) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        found = list(search.search(selectors.plan_list(user=user), term))
    return len(ctx.captured_queries), len(found)


def test_search_costs_the_same_queries_for_one_plan_or_many(demo, foreign_sin_suoi_ho):
    user = User.objects.get(username=P_HEAD)
    one_queries, one = _queries(user, "sin suoi ho 2023")
    many_queries, many = _queries(user, "xa")
    assert 1 <= one < many
    assert one_queries == many_queries


@pytest.mark.postgres
def test_on_postgresql_the_database_folds_with_unaccent(demo):
    user = User.objects.get(username=D_HEAD)
    with CaptureQueriesContext(connection) as ctx:
        found = list(search.search(selectors.plan_list(user=user), "SIN SUỐI ho"))
    assert found and {p.unit.code for p in found} == {"03592"}
    assert "UNACCENT" in ctx.captured_queries[-1]["sql"].upper()
    assert len(ctx.captured_queries) == 2  # the caller's units, then the plans
