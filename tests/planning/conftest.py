import pytest

from planning.models import Plan

DISTRICT_DRAFTER = "t3-d109-labour-drafter"  # Phòng LĐTBXH Phong Thổ
COMMUNE_DRAFTER = "t3-c03592-ubnd-drafter"  # UBND xã Sin Suối Hồ (Phong Thổ)
PROVINCE_DRAFTER = "t3-p12-labour-drafter"  # Sở LĐTBXH Lai Châu
OUTSIDER = "t2-c03388-ubnd-drafter"  # a two-tier commune of Lai Châu: no business with 2023 plans
MINISTRY = "vn-nVN-ministry-drafter"


@pytest.fixture
def phong_tho(demo) -> Plan:
    return Plan.objects.get(unit__structure="three-tier", unit__code="109", cycle__year=2023, plan_type="annual")


@pytest.fixture
def sin_suoi_ho(demo) -> Plan:
    return Plan.objects.get(unit__structure="three-tier", unit__code="03592", cycle__year=2023, plan_type="annual")


@pytest.fixture
def lai_chau(demo) -> Plan:
    return Plan.objects.get(unit__structure="three-tier", unit__code="12", cycle__year=2023, plan_type="annual")
