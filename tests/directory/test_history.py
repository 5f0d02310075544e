"""A two-tier unit reads the 2021-2025 plans of the three-tier units it came from, and only reads.

Personas (demo, Lai Châu): ``successor`` drafts for Sin Suối Hồ after the reform (03394, which
joined old Sin Suối Hồ 03592, Nậm Xe 03586 and Thèn Sin 03394); ``province`` heads the two-tier
province's standing agency; ``outsider`` drafts for Phường Đoàn Kết (03388), none of whose old
communes was Sin Suối Hồ; ``old_drafter`` drafted for Sin Suối Hồ in 2023.
"""

import pytest

from directory.models import Structure
from planning.models import Plan
from planning.selectors import plan_list

SUCCESSOR = "t2-c03394-ubnd-drafter"
SUCCESSOR_HEAD = "t2-c03394-ubnd-head"
PROVINCE = "t2-p12-agri-head"
OUTSIDER = "t2-c03388-ubnd-drafter"
OLD_DRAFTER = "t3-c03592-ubnd-drafter"


def plan_of(structure: str, code: str, year: int) -> Plan:
    return Plan.objects.get(unit__structure=structure, unit__code=code, cycle__year=year, plan_type="annual")


@pytest.fixture
def sin_suoi_ho_2023(demo) -> Plan:
    return plan_of(Structure.THREE_TIER, "03592", 2023)


def test_successor_sees_the_plans_of_the_communes_it_came_from(demo, login_api, sin_suoi_ho_2023):
    api = login_api(SUCCESSOR)
    assert api.get(f"/api/v1/plans/{sin_suoi_ho_2023.pk}/").status_code == 200
    visible = set(plan_list(user=api.user).values_list("unit__structure", "unit__code", "cycle__year"))
    assert {("three-tier", "03592", 2023), ("three-tier", "03586", 2023), ("two-tier", "03394", 2025)} <= visible
    # Only the communes it came from: not the other communes of Phong Thổ, nor the district.
    assert ("three-tier", "03589", 2023) not in visible
    assert ("three-tier", "109", 2023) not in visible


def test_successor_may_not_edit_or_act_on_the_old_plans(demo, login_api, sin_suoi_ho_2023):
    for username in (SUCCESSOR, SUCCESSOR_HEAD):
        api = login_api(username)
        patch = api.patch(f"/api/v1/plans/{sin_suoi_ho_2023.pk}/", {"place": "Sin Suối Hồ"}, format="json")
        assert patch.status_code == 403
        lines = api.put(f"/api/v1/plans/{sin_suoi_ho_2023.pk}/lines/", [], format="json")
        assert lines.status_code == 403
        assert api.get(f"/api/v1/plans/{sin_suoi_ho_2023.pk}/actions/").json()["actions"] == []
        refused = api.post(f"/api/v1/plans/{sin_suoi_ho_2023.pk}/actions/submit/", {}, format="json")
        assert refused.status_code in (403, 409)
    assert Plan.objects.get(pk=sin_suoi_ho_2023.pk).status == sin_suoi_ho_2023.status


def test_outsider_still_cannot_see_sin_suoi_ho(demo, login_api, sin_suoi_ho_2023):
    assert login_api(OUTSIDER).get(f"/api/v1/plans/{sin_suoi_ho_2023.pk}/").status_code == 404


def test_history_runs_one_way(demo, login_api):
    # The old commune's officer does not see the new commune's plans.
    new_plan = plan_of(Structure.TWO_TIER, "03394", 2025)
    assert login_api(OLD_DRAFTER).get(f"/api/v1/plans/{new_plan.pk}/").status_code == 404


def test_two_tier_province_sees_the_old_provinces_plans_and_everything_below(demo, login_api):
    api = login_api(PROVINCE)
    for code in ("12", "109", "03592"):
        assert api.get(f"/api/v1/plans/{plan_of(Structure.THREE_TIER, code, 2023).pk}/").status_code == 200
    old_province = plan_of(Structure.THREE_TIER, "12", 2023)
    assert api.get(f"/api/v1/plans/{old_province.pk}/actions/").json()["actions"] == []
    assert api.patch(f"/api/v1/plans/{old_province.pk}/", {"place": "Lai Châu"}, format="json").status_code == 403


def test_history_scope_costs_no_extra_query(demo, login_api, django_assert_num_queries):
    user = login_api(SUCCESSOR).user
    with django_assert_num_queries(2):  # the units operated (guardian), then the plans
        list(plan_list(user=user))
