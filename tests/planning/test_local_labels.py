"""A province's own numbering (Lâm Đồng, seed 003): national codes kept, local labels shown,
and only the province's subset accepted on its plans."""

import pytest
from django.core.management import call_command

from directory import services as directory_services
from directory.models import AdministrativeUnit, Agency, User
from planning import services
from planning.models import Cycle, LocalLabel


@pytest.fixture
def lam_dong(demo):
    call_command("load_units", "three-tier", "--province", "68", "--with-agencies", stdout=None)
    call_command("load_catalogue")
    province = AdministrativeUnit.objects.get(structure="three-tier", code="68")
    officer = User.objects.create(username="lamdong-drafter", full_name="Cán bộ Lâm Đồng")
    directory_services.membership_add(
        user=officer, agency=Agency.objects.get(unit=province, kind="labour"), role="drafter"
    )
    return province, officer


def test_labels_map_local_numbers_to_national_codes(lam_dong, login_api):
    assert LocalLabel.objects.filter(province=lam_dong[0]).count() == 13
    items = (
        login_api("lamdong-drafter")
        .get("/api/v1/catalogue/", {"period": "2021-2025", "province": "68"})
        .json()["items"]
    )
    by_code = {i["code"]: i for i in items}
    assert by_code["4.3"]["local_code"] == "3.2"  # the trap: local "Tiểu dự án 2" of Dự án 3 is national 4.3
    assert by_code["2"]["local_title"].startswith("Dự án 1")
    assert not {"1", "1.1", "1.2", "4.2", "5"} & set(by_code)


def test_a_province_plan_accepts_only_its_subset(lam_dong):
    province, officer = lam_dong
    plan = services.plan_create(
        actor=officer, cycle=Cycle.objects.get(year=2023, structure="three-tier"), unit=province, plan_type="annual"
    )
    services.plan_lines_replace(
        actor=officer, plan=plan, rows=[{"item": "4.3", "amounts": {"central_recurrent": "10"}}]
    )
    with pytest.raises(Exception) as error:
        services.plan_lines_replace(
            actor=officer, plan=plan, rows=[{"item": "1.1", "amounts": {"central_investment": "10"}}]
        )
    assert "1.1" in str(error.value)
    assert plan.lines.get().item.code == "4.3"


def test_provinces_without_labels_use_the_national_catalogue(demo, login_api):
    items = (
        login_api("t3-p12-labour-drafter")
        .get("/api/v1/catalogue/", {"period": "2021-2025", "province": "12"})
        .json()["items"]
    )
    assert len(items) == 18 and all(i["local_code"] is None for i in items)
