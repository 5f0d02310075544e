"""Demo plans: the 2023 three-tier cycle with Phong Thổ's annual plan as printed in seed 002
(162.756 million VND), and the 2025 two-tier cycle of Lai Châu (after the July reform)."""

from __future__ import annotations

from django.db import transaction

from directory.demo import DISTRICT, PROVINCE, ensure_demo_allowed
from directory.models import AdministrativeUnit, Role, Structure, Tier, User
from planning import services
from planning.models import Plan, PlanType

# Seed 002, section III: line → amounts by the 2021-2025 sources (PHONG_THO_2023_SOURCES), million VND.
PHONG_THO_2023_SOURCES = ("central_investment", "central_recurrent", "local", "other")
PHONG_THO_2023_LINES: list[tuple[str, str, str, str, str, str]] = [
    ("1.1", "Hỗ trợ đầu tư phát triển hạ tầng kinh tế - xã hội huyện nghèo", "45500", "4550", "0", "0"),
    ("1.2", "Triển khai Đề án hỗ trợ huyện nghèo thoát nghèo", "70700", "7070", "0", "0"),
    ("2", "Đa dạng hóa sinh kế, phát triển mô hình giảm nghèo", "0", "10515", "366", "0"),
    ("3.1", "Hỗ trợ phát triển sản xuất trong lĩnh vực nông nghiệp", "0", "4679", "146", "0"),
    ("3.2", "Cải thiện dinh dưỡng", "0", "1128", "0", "0"),
    ("4.1", "Phát triển giáo dục nghề nghiệp vùng nghèo, vùng khó khăn", "0", "1748", "0", "0"),
    ("4.2", "Hỗ trợ người lao động đi làm việc ở nước ngoài theo hợp đồng", "0", "957", "0", "0"),
    ("4.3", "Hỗ trợ việc làm bền vững", "0", "634", "0", "0"),
    ("5", "Hỗ trợ nhà ở cho hộ nghèo, hộ cận nghèo trên địa bàn các huyện nghèo", "0", "12060", "0", "1200"),
    ("6.2", "Truyền thông về giảm nghèo đa chiều", "0", "325", "0", "0"),
    ("7.1", "Nâng cao năng lực thực hiện Chương trình", "0", "852", "0", "0"),
    ("7.2", "Giám sát, đánh giá Chương trình", "0", "326", "0", "0"),
]

PHONG_THO_2023_HEADER = {
    "issuing_body": "ỦY BAN NHÂN DÂN HUYỆN PHONG THỔ",
    "number_symbol": "",
    "place": "Phong Thổ",
    "legal_bases": "\n".join(
        [
            "Căn cứ Quyết định số 90/QĐ-TTg ngày 18/01/2022 của Thủ tướng Chính phủ phê duyệt Chương trình mục tiêu "
            "quốc gia giảm nghèo bền vững giai đoạn 2021-2025;",
            "Thực hiện Công văn số 4824/UBND-CV ngày 27/12/2022 của Ủy ban nhân dân tỉnh Lai Châu về việc xây dựng kế "
            "hoạch thực hiện các chương trình mục tiêu quốc gia năm 2023;",
            "Căn cứ Kế hoạch số 219a/KH-UBND ngày 01/7/2022 của Ủy ban nhân dân huyện Phong Thổ thực hiện Chương trình "
            "mục tiêu quốc gia giảm nghèo bền vững giai đoạn 2021-2025;",
        ]
    ),
    "purpose": "Cụ thể hóa mục tiêu, nhiệm vụ thực hiện Chương trình MTQG giảm nghèo bền vững trên địa bàn huyện; "
    "huy động cả hệ thống chính trị và người dân cùng tham gia.",
    "objectives": "Tỷ lệ giảm nghèo 5,3%, tỷ lệ hộ nghèo toàn huyện còn 38,50%; thu nhập bình quân đạt 40 triệu "
    "đồng/người; hỗ trợ 60 lao động đi làm việc có thời hạn ở nước ngoài.",
    "recipients": "\n".join(
        [
            "UBND tỉnh Lai Châu (b/c);",
            "Sở Lao động - TB&XH tỉnh (b/c);",
            "TT Huyện ủy, TT HĐND huyện;",
            "Các phòng, ban, ngành huyện;",
            "UBND các xã, thị trấn;",
            "Lưu: VT.",
        ]
    ),
}

PHONG_THO_2023_INDICATORS = [
    {"code": "GN-1", "name": "Tỷ lệ giảm nghèo", "unit": "%", "kind": "change", "value": "5.3"},
    {"code": "GN-2", "name": "Tỷ lệ hộ nghèo toàn huyện còn", "unit": "%", "kind": "level", "value": "38.50"},
    {
        "code": "KT-1",
        "name": "Thu nhập bình quân đầu người",
        "unit": "triệu đồng/người",
        "kind": "level",
        "value": "40",
    },
    {
        "code": "NTM-1",
        "name": "Bình quân tiêu chí nông thôn mới",
        "unit": "tiêu chí/xã",
        "kind": "level",
        "value": "10.81",
    },
    {
        "code": "VL-1",
        "name": "Lao động đi làm việc có thời hạn ở nước ngoài",
        "unit": "người",
        "kind": "count",
        "value": "60",
    },
]


def _drafter(unit: AdministrativeUnit) -> User:
    return (
        User.objects.filter(memberships__agency__unit=unit, memberships__role__in=[Role.DRAFTER, Role.HEAD])
        .order_by("memberships__role")
        .first()
    )


def _ensure_plan(cycle, unit, plan_type) -> tuple[Plan, bool]:
    existing = Plan.objects.filter(cycle=cycle, unit=unit, plan_type=plan_type).first()
    if existing:
        return existing, False
    return services.plan_create(actor=_drafter(unit), cycle=cycle, unit=unit, plan_type=plan_type), True


@transaction.atomic
def load() -> None:
    ensure_demo_allowed()
    services.catalogue_load_all()
    services.local_labels_load_all()  # only for provinces that are loaded (Lâm Đồng is not, by default)
    c2023 = services.cycle_ensure(year=2023, structure=Structure.THREE_TIER)
    c2025 = services.cycle_ensure(year=2025, structure=Structure.TWO_TIER)

    three = AdministrativeUnit.objects.filter(structure=Structure.THREE_TIER)
    province, district = three.get(code=PROVINCE), three.get(code=DISTRICT)
    _ensure_plan(c2023, province, PlanType.ANNUAL)
    plan, created = _ensure_plan(c2023, district, PlanType.ANNUAL)
    if created:
        actor = _drafter(district)
        services.plan_header_update(actor=actor, plan=plan, data=PHONG_THO_2023_HEADER)
        services.plan_lines_replace(
            actor=actor,
            plan=plan,
            rows=[
                {
                    "item": item,
                    "content": content,
                    "amounts": dict(zip(PHONG_THO_2023_SOURCES, amounts, strict=True)),
                }
                for item, content, *amounts in PHONG_THO_2023_LINES
            ],
        )
        services.plan_indicators_replace(actor=actor, plan=plan, rows=PHONG_THO_2023_INDICATORS)
    for commune in three.filter(district=district, tier=Tier.COMMUNE):
        _ensure_plan(c2023, commune, PlanType.ANNUAL)

    two = AdministrativeUnit.objects.filter(structure=Structure.TWO_TIER)
    t2_province = two.get(code=PROVINCE)
    _ensure_plan(c2025, t2_province, PlanType.ANNUAL)
    for commune in two.filter(province=t2_province, tier=Tier.COMMUNE, agencies__memberships__isnull=False).distinct():
        _ensure_plan(c2025, commune, PlanType.ANNUAL)
