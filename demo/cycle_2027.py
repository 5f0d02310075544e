"""Demo: the 2027 annual cycle of two-tier Lai Châu (province 12), as it stands on 1 December 2026.

**The figures are illustrative.** Every amount, indicator and household below was invented for
the demo to look like a Lai Châu plan of the 2026-2030 programme (a commune's annual plan a few
thousand to about 20,000 million VND, the province's own lines tens of thousands); none is an
official figure of the province. The plans say so in their purpose text.

What is loaded (once; a second run finds the province plan and changes nothing):

* the 2027 cycle (period 2026-2030, the merged programme's catalogue and its seven sources);
* a commune plan for each staffed commune of two-tier Lai Châu, among them the two-tier successor
  of three-tier Sin Suối Hồ (03592), found through ``directory.selectors.unit_successors``, with
  its households. The province set each commune a ceiling of central funds; every commune
  submitted and the standing agency (Sở Nông nghiệp và Môi trường) accepted it. Bản Bo was
  returned once for revision, with a reason and a comment on its line C1.02.01, fixed the line
  and was accepted on its second round;
* the province plan (drafted by the standing agency, its own lines beside the communes'),
  submitted, appraised by planning (investment) and finance (recurrent), and now at the People's
  Council step: the council secretary's inbox holds the task, due 9/12/2026 (the council
  milestone of a 2027 plan: before 10/12 of the year before, see deadlines/data/calendar.json).

Every state change goes through ``workflows.services.plan_act`` with the officer whose role the
route asks for, so the audit trail, the rounds and the notifications are the real ones. The audit
trail records the moment the demo was loaded. The cycle is loaded with the application clock
(``deadlines.clock``) at 1/12/2026, 08:30, so each task's due date is what it would have been that
day whenever the demo is loaded; the clock is put back as it was afterwards.

The route only lets a province submit once all its communes' plans are accepted or waived
(``children_complete``): a plan still returned for revision and a province plan in appraisal or
before the council cannot coexist, so the return is in Bản Bo's history rather than open.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from deadlines.models import ClockOffset
from directory import selectors as directory_selectors
from directory.demo import PROVINCE, ensure_demo_allowed
from directory.models import AdministrativeUnit, Agency, AgencyKind, Role, Structure, Tier, User
from planning import selectors as plan_selectors
from planning import services as planning
from planning.models import FundingSource, Plan, PlanType
from workflows import routes
from workflows import services as workflows

logger = logging.getLogger(__name__)

YEAR = 2027
PERIOD = "2026-2030"
AS_OF = dt.datetime(2026, 12, 1, 8, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
SIN_SUOI_HO_THREE_TIER = "03592"
SIN_SUOI_HO = "Xã Sin Suối Hồ"  # the profile the successor of three-tier 03592 gets, whatever its name
RETURNED_ONCE = "Xã Bản Bo"

ILLUSTRATIVE_NOTE = (
    "Ghi chú: số liệu trong kế hoạch này là số liệu minh họa phục vụ trình diễn phần mềm, "
    "không phải số liệu chính thức của tỉnh Lai Châu."
)

LEGAL_BASES = [
    "Căn cứ Nghị quyết số 257/2025/QH15 ngày 11/12/2025 của Quốc hội về Chương trình mục tiêu quốc gia xây dựng "
    "nông thôn mới, giảm nghèo bền vững và phát triển kinh tế - xã hội vùng đồng bào dân tộc thiểu số và miền núi "
    "giai đoạn 2026 - 2035;",
    "Căn cứ Nghị định số 358/2025/NĐ-CP ngày 31/12/2025 của Chính phủ về cơ chế quản lý, tổ chức thực hiện "
    "Chương trình;",
    "Căn cứ Quyết định số 417/QĐ-BNNMT ngày 31/01/2026 của Bộ trưởng Bộ Nông nghiệp và Môi trường phê duyệt "
    "Chương trình mục tiêu quốc gia xây dựng nông thôn mới, giảm nghèo bền vững và phát triển kinh tế - xã hội "
    "vùng đồng bào dân tộc thiểu số và miền núi giai đoạn 2026 - 2035, giai đoạn I (2026 - 2030);",
    "Căn cứ Thông tư số 60/2026/TT-BTC ngày 31/5/2026 của Bộ trưởng Bộ Tài chính quy định quản lý, sử dụng kinh "
    "phí sự nghiệp thực hiện Chương trình;",
]
COMMUNE_LEGAL_BASIS = (
    "Thực hiện hướng dẫn của Ủy ban nhân dân tỉnh Lai Châu về xây dựng kế hoạch thực hiện Chương trình năm 2027."
)


def line(item: str, content: str, lead: str = "", coordinating: str = "", beneficiaries: str = "", **amounts):
    """A budget line row for ``planning.services.plan_lines_replace``; amounts by source code."""
    return {
        "item": item,
        "content": content,
        "lead_agency": lead,
        "coordinating_agencies": coordinating,
        "beneficiaries": beneficiaries,
        "amounts": {code: str(value) for code, value in amounts.items()},
    }


def indicator(code: str, name: str, unit: str, kind: str, value, value_max=None, baseline=None, criterion=""):
    """An indicator row. ``criterion``: the national rural criterion indicator it measures
    (rural-criteria-2026-2030.json); kept as data only, see ``_indicator_rows``."""
    return {
        "code": code,
        "name": name,
        "unit": unit,
        "kind": kind,
        "value": str(value),
        "value_max": None if value_max is None else str(value_max),
        "baseline": None if baseline is None else str(baseline),
        "criterion": criterion,
    }


# --- the province ----------------------------------------------------------------------------------

SO_NNMT = "Sở Nông nghiệp và Môi trường"
SO_GDDT = "Sở Giáo dục và Đào tạo"
SO_DTTG = "Sở Dân tộc và Tôn giáo"
SO_NOI_VU = "Sở Nội vụ"
SO_XAY_DUNG = "Sở Xây dựng"
SO_KHCN = "Sở Khoa học và Công nghệ"
SO_CONG_THUONG = "Sở Công Thương"
SO_Y_TE = "Sở Y tế"

PROVINCE_HEADER = {
    "issuing_body": "ỦY BAN NHÂN DÂN TỈNH LAI CHÂU",
    "number_symbol": "",
    "place": "Lai Châu",
    "legal_bases": "\n".join(LEGAL_BASES),
    "purpose": "Cụ thể hóa mục tiêu, nhiệm vụ năm 2027 của Chương trình mục tiêu quốc gia xây dựng nông thôn mới, "
    "giảm nghèo bền vững và phát triển kinh tế - xã hội vùng đồng bào dân tộc thiểu số và miền núi trên địa bàn "
    "tỉnh; phân bổ vốn đúng đối tượng, đúng nội dung, có trọng tâm, trọng điểm, ưu tiên các xã đặc biệt khó khăn, "
    "xã biên giới và các dân tộc còn nhiều khó khăn; huy động tối đa vốn lồng ghép, vốn tín dụng và sự tham gia "
    "của doanh nghiệp, cộng đồng. " + ILLUSTRATIVE_NOTE,
    "objectives": "Tỷ lệ hộ nghèo đa chiều giảm 3 - 3,5%; thu nhập bình quân đầu người khu vực nông thôn đạt 38 "
    "triệu đồng/người/năm; tăng thêm 02 xã đạt chuẩn nông thôn mới; hỗ trợ đào tạo nghề, bồi dưỡng kỹ năng cho "
    "4.200 lao động và 300 lao động đi làm việc ở nước ngoài theo hợp đồng.",
    "recipients": "\n".join(
        [
            "Bộ Nông nghiệp và Môi trường (b/c);",
            "Bộ Dân tộc và Tôn giáo (b/c);",
            "Bộ Tài chính (b/c);",
            "TT Tỉnh ủy, TT HĐND tỉnh (b/c);",
            "Chủ tịch, các PCT UBND tỉnh;",
            "Các sở, ban, ngành tỉnh;",
            "UBND các xã, phường;",
            "Lưu: VT, NNMT.",
        ]
    ),
}

PROVINCE_LINES = [
    line(
        "C1.02.01",
        "Cứng hóa các tuyến đường liên xã, đường đến trung tâm xã chưa được cứng hóa (công trình chuyển tiếp do "
        "tỉnh quản lý)",
        SO_XAY_DUNG,
        "UBND các xã có công trình",
        "Người dân các xã khu vực biên giới",
        central_investment=32000,
        local_province=3200,
    ),
    line(
        "C1.04.02",
        "Đầu tư cơ sở vật chất, thiết bị đào tạo và phát triển chương trình đào tạo của các cơ sở giáo dục nghề "
        "nghiệp công lập của tỉnh",
        SO_GDDT,
        SO_NOI_VU,
        "Người học nghề là lao động nông thôn, người dân tộc thiểu số",
        central_investment=9500,
        central_recurrent=3800,
        local_province=400,
    ),
    line(
        "C2.01.04",
        "Cải tạo, nâng cấp cơ sở vật chất trường phổ thông dân tộc nội trú, trường phổ thông dân tộc bán trú và "
        "trường có học sinh bán trú",
        SO_GDDT,
        SO_DTTG,
        "Học sinh dân tộc thiểu số nội trú, bán trú",
        central_investment=21000,
        local_province=2100,
    ),
    line(
        "C2.04.01",
        "Đầu tư hạ tầng, hỗ trợ phát triển sản xuất tại các bản có đồng bào dân tộc Mảng, La Hủ, Cống, Si La sinh sống",
        SO_DTTG,
        "UBND các xã có đồng bào các dân tộc còn nhiều khó khăn",
        "Hộ gia đình dân tộc Mảng, La Hủ, Cống, Si La",
        central_investment=14500,
        central_recurrent=3200,
        integrated=1500,
    ),
    line(
        "C2.04.02",
        "Hỗ trợ đời sống, học tập, chăm sóc sức khỏe và bảo tồn văn hóa cho hộ gia đình các dân tộc Mảng, La Hủ, "
        "Cống, Si La",
        SO_DTTG,
        f"{SO_Y_TE}; {SO_GDDT}",
        "Hộ gia đình dân tộc Mảng, La Hủ, Cống, Si La",
        central_recurrent=2600,
    ),
    line(
        "C2.02.03",
        "Phát triển vùng trồng Sâm Lai Châu và dược liệu quý gắn với liên kết sản xuất, tiêu thụ",
        SO_NNMT,
        f"{SO_Y_TE}; Ngân hàng Chính sách xã hội chi nhánh tỉnh",
        "Hộ gia đình, hợp tác xã, doanh nghiệp tham gia chuỗi giá trị dược liệu",
        central_recurrent=4200,
        credit=3500,
        enterprise_community=2800,
    ),
    line(
        "C1.03.03",
        "Đánh giá, phân hạng và xúc tiến thương mại sản phẩm OCOP cấp tỉnh",
        SO_NNMT,
        SO_CONG_THUONG,
        "Chủ thể sản phẩm OCOP",
        central_recurrent=1350,
        local_province=300,
        enterprise_community=650,
    ),
    line(
        "C1.04.05",
        "Hỗ trợ người lao động đi làm việc ở nước ngoài theo hợp đồng: tư vấn, đào tạo ngoại ngữ, bồi dưỡng kiến "
        "thức cần thiết; vay vốn tín dụng chính sách",
        SO_NOI_VU,
        "Ngân hàng Chính sách xã hội chi nhánh tỉnh",
        "Người lao động thuộc hộ nghèo, hộ cận nghèo, người dân tộc thiểu số",
        central_recurrent=900,
        credit=5000,
    ),
    line(
        "C1.06",
        "Chuyển đổi số trong quản lý, điều hành Chương trình; nền tảng số hỗ trợ tiêu thụ nông sản",
        SO_KHCN,
        SO_NNMT,
        "Cơ quan thực hiện Chương trình các cấp; hợp tác xã, hộ sản xuất",
        central_recurrent=1100,
        integrated=800,
    ),
    line(
        "C1.10.01",
        "Tập huấn nâng cao năng lực cho cán bộ thực hiện Chương trình cấp tỉnh, cấp xã và cộng đồng",
        SO_NNMT,
        f"{SO_DTTG}; {SO_NOI_VU}",
        "Cán bộ các cấp, người có uy tín, trưởng thôn, bản",
        central_recurrent=1250,
        local_province=150,
    ),
    line(
        "C1.10.02",
        "Truyền thông về xây dựng nông thôn mới và giảm nghèo bền vững trên Báo và Phát thanh, Truyền hình Lai Châu",
        SO_NNMT,
        "Báo và Phát thanh, Truyền hình Lai Châu",
        "Người dân trên địa bàn tỉnh",
        central_recurrent=600,
    ),
    line(
        "C1.10.03",
        "Kiểm tra, giám sát, đánh giá thực hiện Chương trình; cập nhật cơ sở dữ liệu Chương trình",
        SO_NNMT,
        "Các sở, ngành chủ trì nội dung",
        "",
        central_recurrent=450,
        local_province=100,
    ),
    line(
        "C2.05.04",
        "Ứng dụng công nghệ thông tin, chuyển đổi số vùng đồng bào dân tộc thiểu số và miền núi",
        SO_DTTG,
        SO_KHCN,
        "Người dân vùng đồng bào dân tộc thiểu số",
        central_recurrent=700,
    ),
]

PROVINCE_INDICATORS = [
    indicator("GN-1", "Tỷ lệ hộ nghèo đa chiều giảm", "%", "change", "3", "3.5", criterion="6.2"),
    indicator(
        "GN-2", "Tỷ lệ hộ nghèo đa chiều toàn tỉnh cuối năm còn", "%", "level", "15.9", baseline="18.9", criterion="6.1"
    ),
    indicator(
        "KT-1",
        "Thu nhập bình quân đầu người khu vực nông thôn",
        "triệu đồng/người/năm",
        "level",
        "38",
        baseline="35",
        criterion="3.1",
    ),
    indicator("NTM-1", "Số xã đạt chuẩn nông thôn mới tăng thêm", "xã", "count", "2"),
    indicator("VL-1", "Lao động được đào tạo nghề, bồi dưỡng kỹ năng nghề", "người", "count", "4200", criterion="4.1"),
    indicator("VL-2", "Lao động đi làm việc ở nước ngoài theo hợp đồng", "người", "count", "300"),
    indicator("NO-1", "Hộ nghèo, hộ cận nghèo được hỗ trợ nhà ở", "hộ", "count", "420", criterion="2.9"),
]

# --- the communes (by name: the codes are being moved to the official ones) ------------------------

UBND_XA = "UBND xã"
PHONG_KINH_TE = "Phòng Kinh tế"
PHONG_VHXH = "Phòng Văn hóa - Xã hội"
PHONG_KT_HT_DT = "Phòng Kinh tế, Hạ tầng và Đô thị"

COMMUNES: dict[str, dict[str, Any]] = {
    SIN_SUOI_HO: {
        "objectives": "Tỷ lệ hộ nghèo đa chiều giảm 4,5%; 95 hộ thoát nghèo; hỗ trợ 27 hộ nghèo xây dựng nhà ở; "
        "phát triển du lịch cộng đồng gắn với bảo tồn văn hóa dân tộc Mông.",
        "lines": [
            line(
                "C2.01.01",
                "Cứng hóa đường giao thông nội bản và đường ra khu sản xuất các bản đặc biệt khó khăn",
                UBND_XA,
                PHONG_KINH_TE,
                "Người dân các bản đặc biệt khó khăn",
                central_investment=5600,
                local_commune=280,
                enterprise_community=350,
            ),
            line(
                "C2.01.03",
                "Hỗ trợ nước sinh hoạt phân tán cho hộ nghèo, hộ cận nghèo dân tộc thiểu số",
                PHONG_KINH_TE,
                "Các bản",
                "Hộ nghèo, hộ cận nghèo chưa có nước sinh hoạt hợp vệ sinh",
                central_recurrent=1150,
                integrated=400,
            ),
            line(
                "C1.02.11",
                "Hỗ trợ xây mới, sửa chữa nhà ở cho 27 hộ nghèo, hộ cận nghèo",
                PHONG_KINH_TE,
                "Ủy ban Mặt trận Tổ quốc xã; Ngân hàng Chính sách xã hội",
                "27 hộ nghèo, hộ cận nghèo thiếu nhà ở hoặc nhà ở tạm, dột nát",
                central_recurrent=1620,
                credit=1080,
                enterprise_community=810,
            ),
            line(
                "C2.02.04",
                "Hỗ trợ sinh kế: bò sinh sản, giống cây trồng, vật tư cho hộ nghèo, hộ cận nghèo, hộ mới thoát nghèo",
                PHONG_KINH_TE,
                "Hội Nông dân xã; Ngân hàng Chính sách xã hội",
                "Hộ nghèo, hộ cận nghèo, hộ mới thoát nghèo",
                central_recurrent=2300,
                local_commune=115,
                credit=1800,
            ),
            line(
                "C2.02.05",
                "Phát triển du lịch cộng đồng bản Sin Suối Hồ gắn với bảo tồn văn hóa truyền thống dân tộc Mông",
                PHONG_VHXH,
                "Hợp tác xã du lịch cộng đồng",
                "Hộ làm du lịch cộng đồng",
                central_recurrent=1200,
                integrated=300,
                enterprise_community=600,
            ),
            line(
                "C1.04.05",
                "Tư vấn, hỗ trợ người lao động đi làm việc ở nước ngoài theo hợp đồng",
                PHONG_VHXH,
                "",
                "Lao động thuộc hộ nghèo, hộ cận nghèo",
                central_recurrent=180,
            ),
            line(
                "C2.03.03",
                "Tuyên truyền phòng, chống tảo hôn và hôn nhân cận huyết thống; bình đẳng giới trong gia đình",
                PHONG_VHXH,
                "Hội Liên hiệp Phụ nữ xã",
                "Phụ nữ, trẻ em gái, thanh niên các bản",
                central_recurrent=250,
            ),
            line(
                "C2.05.02",
                "Phát huy vai trò của người có uy tín trong đồng bào dân tộc thiểu số",
                UBND_XA,
                "",
                "Người có uy tín các bản",
                central_recurrent=95,
            ),
            line(
                "C1.10.02",
                "Truyền thông về giảm nghèo bền vững qua hệ thống loa truyền thanh và hội nghị ở bản",
                PHONG_VHXH,
                "",
                "Người dân trên địa bàn xã",
                central_recurrent=70,
            ),
        ],
        "indicators": [
            indicator("GN-1", "Tỷ lệ hộ nghèo đa chiều giảm", "%", "change", "4.5", criterion="6.2"),
            indicator("GN-2", "Số hộ thoát nghèo", "hộ", "count", "95"),
            indicator(
                "HT-1", "Tỷ lệ km đường thôn, bản được cứng hóa", "%", "level", "72", baseline="64", criterion="2.1"
            ),
            indicator(
                "MT-1",
                "Tỷ lệ hộ sử dụng nước sinh hoạt hợp vệ sinh",
                "%",
                "level",
                "88",
                baseline="81",
                criterion="8.1",
            ),
            indicator("NO-1", "Hộ nghèo, hộ cận nghèo được hỗ trợ nhà ở", "hộ", "count", "27", criterion="2.9"),
        ],
        "households": [
            (
                "SSH-01",
                "Giàng A Chứ",
                "Thiếu đất sản xuất, thiếu vốn",
                "Hỗ trợ 02 con bò sinh sản; vay vốn Ngân hàng Chính sách xã hội 50 triệu đồng",
                "Hội Nông dân xã",
            ),
            (
                "SSH-02",
                "Lầu Thị Mai",
                "Thiếu lao động, có người ốm đau dài ngày",
                "Hỗ trợ xây mới nhà ở; cấp thẻ bảo hiểm y tế",
                "Hội Liên hiệp Phụ nữ xã",
            ),
            (
                "SSH-03",
                "Sùng A Páo",
                "Thiếu kiến thức, kỹ năng sản xuất",
                "Tập huấn kỹ thuật trồng thảo quả; hỗ trợ giống",
                "Hội Nông dân xã",
            ),
            (
                "SSH-04",
                "Vàng A Sử",
                "Không có việc làm ổn định",
                "Tư vấn, hỗ trợ đi làm việc ở nước ngoài theo hợp đồng",
                "Đoàn Thanh niên xã",
            ),
            (
                "SSH-05",
                "Thào Thị Dợ",
                "Nhà ở tạm, dột nát",
                "Hỗ trợ sửa chữa nhà ở; vay vốn nhà ở 40 triệu đồng",
                "Ủy ban Mặt trận Tổ quốc xã",
            ),
            (
                "SSH-06",
                "Lý A Chinh",
                "Thiếu vốn sản xuất",
                "Hỗ trợ lợn giống, vật tư làm chuồng trại",
                "Hội Cựu chiến binh xã",
            ),
            (
                "SSH-07",
                "Tẩn Văn Sơn",
                "Thiếu nước sinh hoạt",
                "Hỗ trợ bồn chứa nước sinh hoạt phân tán",
                "Công chức Nông nghiệp - Môi trường xã",
            ),
            (
                "SSH-08",
                "Giàng Thị Chở",
                "Thiếu đất sản xuất",
                "Tham gia tổ hợp tác du lịch cộng đồng; hỗ trợ làm dịch vụ lưu trú tại nhà",
                "Hợp tác xã du lịch cộng đồng",
            ),
        ],
    },
    "Phường Đoàn Kết": {
        "objectives": "Không còn hộ nghèo đa chiều theo chuẩn địa phương; thu gom, xử lý 95% chất thải rắn sinh "
        "hoạt; 120 lao động được hỗ trợ việc làm bền vững.",
        "lines": [
            line(
                "C1.02.13",
                "Chỉnh trang không gian công cộng, chiếu sáng các tổ dân phố ven đô",
                PHONG_KT_HT_DT,
                "Các tổ dân phố",
                "Người dân các tổ dân phố ven đô",
                central_investment=1500,
                local_commune=300,
                enterprise_community=200,
            ),
            line(
                "C1.07.01",
                "Thu gom, vận chuyển, xử lý chất thải rắn sinh hoạt",
                PHONG_KT_HT_DT,
                "",
                "Hộ gia đình trên địa bàn phường",
                central_recurrent=450,
                local_commune=150,
            ),
            line(
                "C1.03.09",
                "Hỗ trợ hộ kinh doanh, hợp tác xã đưa sản phẩm lên sàn thương mại điện tử",
                PHONG_KT_HT_DT,
                "Hội Liên hiệp Phụ nữ phường",
                "Hộ kinh doanh, hợp tác xã",
                central_recurrent=250,
                enterprise_community=180,
            ),
            line(
                "C1.04.04",
                "Kết nối cung - cầu lao động, tư vấn việc làm cho lao động thuộc hộ nghèo, hộ cận nghèo",
                PHONG_VHXH,
                "",
                "Lao động thuộc hộ nghèo, hộ cận nghèo, hộ mới thoát nghèo",
                central_recurrent=300,
            ),
            line(
                "C1.05.04",
                "Thực hiện bình đẳng giới, phòng, chống bạo lực trên cơ sở giới",
                PHONG_VHXH,
                "Hội Liên hiệp Phụ nữ phường",
                "Phụ nữ, trẻ em gái",
                central_recurrent=120,
            ),
            line(
                "C1.10.02",
                "Truyền thông về xây dựng đô thị văn minh, giảm nghèo bền vững",
                PHONG_VHXH,
                "",
                "Người dân trên địa bàn phường",
                central_recurrent=80,
            ),
        ],
        "indicators": [
            indicator(
                "GN-1", "Tỷ lệ hộ nghèo đa chiều cuối năm còn", "%", "level", "0.8", baseline="1.4", criterion="6.1"
            ),
            indicator("MT-1", "Tỷ lệ chất thải rắn sinh hoạt được thu gom, xử lý", "%", "level", "95", criterion="8.2"),
            indicator("VL-1", "Lao động được hỗ trợ việc làm bền vững", "người", "count", "120"),
        ],
    },
    "Xã Bình Lư": {
        "objectives": "Tỷ lệ hộ nghèo đa chiều giảm 3%; 85% diện tích lúa được tưới chủ động; phát triển vùng chè "
        "liên kết theo chuỗi giá trị.",
        "lines": [
            line(
                "C1.02.02",
                "Kiên cố hóa kênh mương nội đồng phục vụ sản xuất lúa hai vụ",
                PHONG_KINH_TE,
                "Các thôn có công trình",
                "Hộ sản xuất lúa",
                central_investment=3200,
                local_commune=320,
            ),
            line(
                "C1.02.01",
                "Cứng hóa đường giao thông nông thôn liên thôn",
                PHONG_KINH_TE,
                "Ban phát triển thôn",
                "Người dân các thôn",
                central_investment=2800,
                local_commune=280,
                enterprise_community=450,
            ),
            line(
                "C1.03.02",
                "Liên kết sản xuất, chế biến, tiêu thụ chè theo chuỗi giá trị",
                PHONG_KINH_TE,
                "Hợp tác xã, doanh nghiệp chế biến chè",
                "Hộ trồng chè tham gia liên kết",
                central_recurrent=850,
                enterprise_community=600,
            ),
            line(
                "C1.03.04",
                "Nhân rộng mô hình giảm nghèo chăn nuôi gia súc, gia cầm",
                PHONG_KINH_TE,
                "Hội Nông dân xã; Ngân hàng Chính sách xã hội",
                "Hộ nghèo, hộ cận nghèo, hộ mới thoát nghèo",
                central_recurrent=900,
                credit=1500,
            ),
            line(
                "C1.04.01",
                "Đào tạo nghề ngắn hạn cho lao động nông thôn",
                PHONG_VHXH,
                "",
                "Lao động nông thôn",
                central_recurrent=400,
            ),
            line(
                "C2.05.01",
                "Tuyên truyền, phổ biến chính sách, pháp luật cho đồng bào dân tộc thiểu số",
                PHONG_VHXH,
                "",
                "Đồng bào dân tộc thiểu số",
                central_recurrent=90,
            ),
            line(
                "C1.10.01",
                "Tập huấn nâng cao năng lực cho cán bộ xã, thôn thực hiện Chương trình",
                UBND_XA,
                "",
                "Cán bộ xã, trưởng thôn",
                central_recurrent=60,
            ),
        ],
        "indicators": [
            indicator("GN-1", "Tỷ lệ hộ nghèo đa chiều giảm", "%", "change", "3", criterion="6.2"),
            indicator(
                "HT-1",
                "Tỷ lệ diện tích đất sản xuất nông nghiệp được tưới, tiêu chủ động",
                "%",
                "level",
                "85",
                baseline="78",
                criterion="2.3",
            ),
            indicator("KT-1", "Diện tích chè tham gia liên kết chuỗi giá trị", "ha", "count", "120", criterion="3.5"),
        ],
    },
    "Xã Tả Lèng": {
        "objectives": "Tỷ lệ hộ nghèo đa chiều giảm 3,5%; 70% hộ dùng nước sạch từ công trình tập trung; bảo vệ "
        "và phát triển rừng gắn với nâng cao thu nhập.",
        "lines": [
            line(
                "C1.02.08",
                "Xây dựng công trình cấp nước sinh hoạt tập trung",
                PHONG_KINH_TE,
                "Các bản hưởng lợi",
                "Hộ gia đình các bản chưa có nước sạch",
                central_investment=2400,
                local_commune=240,
            ),
            line(
                "C2.02.02",
                "Khoán bảo vệ rừng, trồng rừng gắn với phát triển cây dược liệu dưới tán rừng",
                PHONG_KINH_TE,
                "Hạt Kiểm lâm; các tổ bảo vệ rừng",
                "Hộ nhận khoán bảo vệ rừng",
                central_recurrent=1300,
            ),
            line(
                "C1.03.04",
                "Hỗ trợ phát triển sản xuất, đa dạng hóa sinh kế cho hộ nghèo, hộ cận nghèo",
                PHONG_KINH_TE,
                "Ngân hàng Chính sách xã hội",
                "Hộ nghèo, hộ cận nghèo",
                central_recurrent=1100,
                credit=900,
            ),
            line(
                "C1.07.03",
                "Xây dựng cảnh quan bản sáng - xanh - sạch - đẹp",
                UBND_XA,
                "Ủy ban Mặt trận Tổ quốc xã",
                "Người dân các bản",
                local_commune=150,
                enterprise_community=300,
            ),
            line(
                "C1.04.03",
                "Tập huấn kỹ thuật trồng trọt, chăn nuôi cho nông dân",
                PHONG_KINH_TE,
                "Hội Nông dân xã",
                "Nông dân",
                central_recurrent=200,
            ),
            line(
                "C1.09.01",
                "Xây dựng, nhân rộng mô hình tự quản về an ninh, trật tự ở bản",
                UBND_XA,
                "Công an xã",
                "Người dân các bản",
                central_recurrent=120,
            ),
        ],
        "indicators": [
            indicator("GN-1", "Tỷ lệ hộ nghèo đa chiều giảm", "%", "change", "3.5", criterion="6.2"),
            indicator(
                "MT-1",
                "Tỷ lệ hộ sử dụng nước sạch từ công trình cấp nước tập trung",
                "%",
                "level",
                "70",
                baseline="52",
                criterion="8.1",
            ),
            indicator("LN-1", "Diện tích rừng được khoán bảo vệ", "ha", "count", "1450"),
        ],
    },
    "Phường Tân Phong": {
        "objectives": "Không để phát sinh hộ tái nghèo; 100% tổ dân phố có nhà văn hóa đạt chuẩn; phát triển "
        "02 hợp tác xã dịch vụ.",
        "lines": [
            line(
                "C1.02.06",
                "Cải tạo, nâng cấp nhà văn hóa tổ dân phố",
                PHONG_KT_HT_DT,
                "Các tổ dân phố",
                "Người dân các tổ dân phố",
                central_investment=1200,
                local_commune=240,
            ),
            line(
                "C1.03.05",
                "Hỗ trợ thành lập, củng cố hợp tác xã dịch vụ",
                PHONG_KT_HT_DT,
                "Liên minh Hợp tác xã tỉnh",
                "Hợp tác xã, tổ hợp tác",
                central_recurrent=400,
                integrated=200,
            ),
            line(
                "C1.04.04",
                "Hỗ trợ việc làm bền vững, thông tin thị trường lao động",
                PHONG_VHXH,
                "",
                "Người lao động",
                central_recurrent=350,
            ),
            line(
                "C1.07.01",
                "Thu gom, phân loại chất thải rắn sinh hoạt tại nguồn",
                PHONG_KT_HT_DT,
                "",
                "Hộ gia đình trên địa bàn phường",
                central_recurrent=300,
                local_commune=100,
            ),
            line(
                "C1.08.04",
                "Hội Liên hiệp Phụ nữ tham gia xây dựng gia đình “5 không, 3 sạch”, hỗ trợ phụ nữ phát triển kinh tế",
                "Hội Liên hiệp Phụ nữ phường",
                "",
                "Hội viên phụ nữ",
                central_recurrent=150,
            ),
        ],
        "indicators": [
            indicator("GN-1", "Số hộ tái nghèo", "hộ", "count", "0"),
            indicator("VH-1", "Tỷ lệ tổ dân phố có nhà văn hóa đạt chuẩn", "%", "level", "100", baseline="86"),
            indicator("KT-1", "Số hợp tác xã dịch vụ thành lập mới", "hợp tác xã", "count", "2", criterion="3.4"),
        ],
    },
    RETURNED_ONCE: {
        "objectives": "Tỷ lệ hộ nghèo đa chiều giảm 3,5%; cứng hóa thêm 2,5 km đường giao thông; 150 lao động "
        "được đào tạo nghề.",
        "lines": [
            line(
                "C1.02.01",
                "Cứng hóa đường giao thông liên bản (công trình có trong kế hoạch đầu tư công trung hạn "
                "2026-2030 của xã)",
                PHONG_KINH_TE,
                "Ban phát triển bản",
                "Người dân các bản",
                central_investment=4500,
                local_commune=450,
                enterprise_community=500,
            ),
            line(
                "C1.02.12",
                "Cứng hóa đường trục chính nội đồng phục vụ vùng sản xuất tập trung",
                PHONG_KINH_TE,
                "",
                "Hộ sản xuất",
                central_investment=1800,
            ),
            line(
                "C1.03.01",
                "Chuyển đổi cơ cấu cây trồng trên đất lúa kém hiệu quả",
                PHONG_KINH_TE,
                "",
                "Hộ sản xuất",
                central_recurrent=950,
            ),
            line(
                "C2.02.04",
                "Hỗ trợ sinh kế cho hộ nghèo, hộ cận nghèo đồng bào dân tộc thiểu số",
                PHONG_KINH_TE,
                "Ngân hàng Chính sách xã hội",
                "Hộ nghèo, hộ cận nghèo dân tộc thiểu số",
                central_recurrent=1400,
                credit=1200,
            ),
            line(
                "C1.04.01",
                "Đào tạo nghề cho lao động nông thôn",
                PHONG_VHXH,
                "",
                "Lao động nông thôn",
                central_recurrent=300,
            ),
            line(
                "C2.03.04",
                "Giáo dục nghề nghiệp, giải quyết việc làm cho lao động dân tộc thiểu số",
                PHONG_VHXH,
                "",
                "Lao động dân tộc thiểu số",
                central_recurrent=250,
            ),
        ],
        "indicators": [
            indicator("GN-1", "Tỷ lệ hộ nghèo đa chiều giảm", "%", "change", "3.5", criterion="6.2"),
            indicator("HT-1", "Đường giao thông được cứng hóa thêm", "km", "count", "2.5", criterion="2.1"),
            indicator("VL-1", "Lao động được đào tạo nghề", "người", "count", "150", criterion="4.1"),
        ],
    },
}

# Bản Bo's first round: line C1.02.01 put its money on a road outside the medium-term public
# investment plan, with no commune counterpart. The province returned it; the second round
# (COMMUNES above) is what was accepted.
RETURNED_FIRST_ROUND_LINE = line(
    "C1.02.01",
    "Đường nội đồng khu vực Nà Tăm (đoạn Km0 - Km2+500)",
    PHONG_KINH_TE,
    "Ban phát triển bản",
    "Người dân các bản",
    central_investment=4500,
    enterprise_community=500,
)
RETURN_REASON = (
    "Đề nghị UBND xã rà soát, chỉnh sửa: công trình đường nội đồng khu vực Nà Tăm chưa có trong kế hoạch đầu tư "
    "công trung hạn giai đoạn 2026-2030 của xã nên chưa đủ điều kiện bố trí vốn năm 2027; công trình đầu tư chưa "
    "bố trí vốn đối ứng từ ngân sách xã."
)
RETURN_LINE_COMMENT = (
    "Thay bằng công trình đã có trong kế hoạch đầu tư công trung hạn; bố trí vốn đối ứng ngân sách xã tối thiểu "
    "10% vốn đầu tư."
)


def _generic_commune() -> dict[str, Any]:
    """A modest plan for a staffed commune the data above does not name."""
    return {
        "objectives": "Tỷ lệ hộ nghèo đa chiều giảm 2,5%; hỗ trợ sinh kế cho hộ nghèo, hộ cận nghèo.",
        "lines": [
            line(
                "C1.02.01",
                "Cứng hóa đường giao thông nông thôn",
                PHONG_KINH_TE,
                "",
                "Người dân trên địa bàn",
                central_investment=2000,
                local_commune=200,
            ),
            line(
                "C1.03.04",
                "Hỗ trợ phát triển sản xuất, đa dạng hóa sinh kế cho hộ nghèo, hộ cận nghèo",
                PHONG_KINH_TE,
                "Ngân hàng Chính sách xã hội",
                "Hộ nghèo, hộ cận nghèo",
                central_recurrent=800,
                credit=600,
            ),
            line(
                "C1.10.02",
                "Truyền thông về xây dựng nông thôn mới và giảm nghèo bền vững",
                PHONG_VHXH,
                "",
                "Người dân trên địa bàn",
                central_recurrent=60,
            ),
        ],
        "indicators": [indicator("GN-1", "Tỷ lệ hộ nghèo đa chiều giảm", "%", "change", "2.5", criterion="6.2")],
    }


# --- loading ---------------------------------------------------------------------------------------


@contextmanager
def _application_clock_at(moment: dt.datetime) -> Iterator[None]:
    """Run the block with the application clock (``deadlines.clock``) at ``moment``, then put the
    demo clock back as it was (an offset someone set with ``cycle_clock`` is kept). Written
    directly, not through ``deadlines.services.clock_set``, which would also rewind reminders."""
    saved = ClockOffset.objects.filter(pk=ClockOffset.SINGLETON).values("offset", "note").first()
    ClockOffset.objects.update_or_create(
        pk=ClockOffset.SINGLETON,
        defaults={"offset": moment - timezone.now(), "note": f"load_demo: the {YEAR} cycle as on {moment:%d/%m/%Y}"},
    )
    try:
        yield
    finally:
        if saved is None:
            ClockOffset.objects.filter(pk=ClockOffset.SINGLETON).delete()
        else:
            ClockOffset.objects.filter(pk=ClockOffset.SINGLETON).update(**saved)


def _officer(agency: Agency, role: str) -> User:
    user = (
        User.objects.filter(memberships__agency=agency, memberships__role=role).order_by("memberships__title", "pk")
    ).first()
    if user is None:
        raise ImproperlyConfigured(f"The {YEAR} demo needs a {role} of {agency.name}.")
    return user


def province_unit() -> AdministrativeUnit:
    return AdministrativeUnit.objects.get(structure=Structure.TWO_TIER, tier=Tier.PROVINCE, code=PROVINCE)


def sin_suoi_ho_successor() -> AdministrativeUnit | None:
    """The two-tier commune that three-tier Sin Suối Hồ (03592) went into."""
    old = AdministrativeUnit.objects.filter(structure=Structure.THREE_TIER, code=SIN_SUOI_HO_THREE_TIER).first()
    if old is None:
        return None
    return (
        directory_selectors.unit_successors(old)
        .filter(structure=Structure.TWO_TIER, tier=Tier.COMMUNE, province__code=PROVINCE)
        .first()
    )


def _staffed_communes(province: AdministrativeUnit) -> list[AdministrativeUnit]:
    """Communes of the province whose People's Committee has both a drafter and a head."""
    communes = AdministrativeUnit.objects.filter(province=province, tier=Tier.COMMUNE).order_by("code")
    for role in (Role.DRAFTER, Role.HEAD):
        communes = communes.filter(
            agencies__kind=AgencyKind.PEOPLE_COMMITTEE, agencies__memberships__role=role
        ).distinct()
    return list(communes)


def cycle_plans() -> dict[str, Plan]:
    """The loaded 2027 annual plans of two-tier Lai Châu by unit code (empty before loading)."""
    plans = Plan.objects.filter(
        cycle__year=YEAR, cycle__structure=Structure.TWO_TIER, plan_type=PlanType.ANNUAL, province__code=PROVINCE
    ).select_related("unit")
    province = Plan.objects.filter(
        cycle__year=YEAR, cycle__structure=Structure.TWO_TIER, plan_type=PlanType.ANNUAL, unit__code=PROVINCE
    ).select_related("unit")
    return {p.unit.code: p for p in [*province, *plans]}


def _indicator_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # planning.services.plan_indicators_replace takes no criterion yet (Indicator.criterion
    # exists): the codes stay in the data for when it does.
    return [{key: value for key, value in row.items() if key != "criterion"} for row in rows]


def _household_rows(rows) -> list[dict[str, str]]:
    keys = ("code", "head_name", "cause", "planned_support", "responsible_organisation")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _ceiling(rows: list[dict[str, Any]], code: str) -> str | None:
    """The province's ceiling for one source: the commune's planned amount rounded up to 100."""
    total = sum((Decimal(r["amounts"][code]) for r in rows if code in r["amounts"]), Decimal("0"))
    if not total:
        return None
    return str(((total + 99) // 100) * 100)


def _commune_header(unit: AdministrativeUnit, profile: dict[str, Any], committee: Agency) -> dict[str, str]:
    label = unit.name.split(" ", 1)[-1]
    ward = unit.name.startswith("Phường")
    return {
        "issuing_body": committee.name.upper(),
        "number_symbol": "",
        "place": label,
        "legal_bases": "\n".join([*LEGAL_BASES, COMMUNE_LEGAL_BASIS]),
        "purpose": f"Cụ thể hóa mục tiêu, nhiệm vụ năm 2027 của Chương trình trên địa bàn {unit.name[:1].lower()}"
        f"{unit.name[1:]}; "
        "huy động cả hệ thống chính trị và người dân cùng tham gia; bố trí vốn đúng đối tượng, đúng nội dung. "
        + ILLUSTRATIVE_NOTE,
        "objectives": profile["objectives"],
        "recipients": "\n".join(
            [
                "UBND tỉnh Lai Châu (b/c);",
                "Sở Nông nghiệp và Môi trường (b/c);",
                f"TT Đảng ủy, TT HĐND {'phường' if ward else 'xã'};",
                f"Các phòng, ban, đoàn thể {'phường' if ward else 'xã'};",
                "Lưu: VT.",
            ]
        ),
    }


@transaction.atomic
def load() -> dict[str, Plan]:
    """Load the 2027 cycle once; return its plans by unit code."""
    ensure_demo_allowed()
    existing = cycle_plans()
    if PROVINCE in existing:
        return existing
    with _application_clock_at(AS_OF):
        _load()
    return cycle_plans()


def _load() -> None:
    cycle = planning.cycle_ensure(year=YEAR, structure=Structure.TWO_TIER)
    province = province_unit()
    standing = routes.standing_agency(province, PERIOD)
    if standing is None:
        raise ImproperlyConfigured(f"Two-tier Lai Châu has no standing agency for {PERIOD}.")
    drafter, head = _officer(standing, Role.DRAFTER), _officer(standing, Role.HEAD)
    investment = _officer(Agency.objects.get(unit=province, kind=AgencyKind.PLANNING), Role.HEAD)
    recurrent = _officer(Agency.objects.get(unit=province, kind=AgencyKind.FINANCE), Role.HEAD)

    province_plan = workflows.plan_open(actor=drafter, cycle=cycle, unit=province, plan_type=PlanType.ANNUAL)
    planning.plan_header_update(actor=drafter, plan=province_plan, data=PROVINCE_HEADER)

    # The province sets each commune a ceiling on every central-budget source of the period.
    central = [s.code for s in plan_selectors.period_sources(cycle.period) if s.group == FundingSource.Group.CENTRAL]
    communes = _staffed_communes(province)
    successor = sin_suoi_ho_successor()
    if successor is None or successor not in communes:
        logger.warning("demo %s: the successor of Sin Suối Hồ (%s) has no officers", YEAR, SIN_SUOI_HO_THREE_TIER)
    opened: list[tuple[Plan, str, dict[str, Any], User, User]] = []
    for unit in communes:
        name = SIN_SUOI_HO if unit == successor else unit.name
        profile = COMMUNES.get(name) or _generic_commune()
        committee = Agency.objects.get(unit=unit, kind=AgencyKind.PEOPLE_COMMITTEE)
        c_drafter, c_head = _officer(committee, Role.DRAFTER), _officer(committee, Role.HEAD)
        plan = workflows.plan_open(actor=c_drafter, cycle=cycle, unit=unit, plan_type=PlanType.ANNUAL)
        planning.envelope_set(
            actor=drafter,
            child=plan,
            ceilings={code: _ceiling(profile["lines"], code) for code in central},
        )
        planning.plan_header_update(actor=c_drafter, plan=plan, data=_commune_header(unit, profile, committee))
        rows = profile["lines"]
        if name == RETURNED_ONCE:
            rows = [RETURNED_FIRST_ROUND_LINE if r["item"] == "C1.02.01" else r for r in rows]
        planning.plan_lines_replace(actor=c_drafter, plan=plan, rows=rows)
        planning.plan_indicators_replace(actor=c_drafter, plan=plan, rows=_indicator_rows(profile["indicators"]))
        if profile.get("households"):
            planning.plan_households_replace(actor=c_drafter, plan=plan, rows=_household_rows(profile["households"]))
        opened.append((plan, name, profile, c_drafter, c_head))

    for plan, _name, _profile, _drafter, c_head in opened:
        workflows.plan_act(actor=c_head, plan_id=plan.pk, action="submit", comment="Kính trình Sở NN&MT thẩm định.")
    for plan, name, profile, c_drafter, c_head in opened:
        if name == RETURNED_ONCE:
            workflows.plan_act(
                actor=head,
                plan_id=plan.pk,
                action="return",
                comment=RETURN_REASON,
                fields={"line_comments": [{"line": "C1.02.01", "comment": RETURN_LINE_COMMENT}]},
            )
            planning.plan_lines_replace(actor=c_drafter, plan=plan, rows=profile["lines"])
            workflows.plan_act(
                actor=c_head,
                plan_id=plan.pk,
                action="submit",
                comment="Đã thay công trình đường giao thông và bố trí vốn đối ứng ngân sách xã theo ý kiến thẩm định.",
            )
        workflows.plan_act(actor=head, plan_id=plan.pk, action="accept", comment="Thống nhất kế hoạch của xã.")

    planning.plan_lines_replace(actor=drafter, plan=province_plan, rows=PROVINCE_LINES)
    planning.plan_indicators_replace(actor=drafter, plan=province_plan, rows=_indicator_rows(PROVINCE_INDICATORS))
    workflows.plan_act(
        actor=head,
        plan_id=province_plan.pk,
        action="submit",
        comment="Tổng hợp kế hoạch của các xã, phường và các sở, ngành; trình thẩm định nguồn vốn.",
    )
    workflows.plan_act(
        actor=investment,
        plan_id=province_plan.pk,
        action="accept",
        comment="Vốn đầu tư phát triển phù hợp kế hoạch đầu tư công trung hạn 2026-2030 và dự toán được giao.",
    )
    workflows.plan_act(
        actor=recurrent,
        plan_id=province_plan.pk,
        action="accept",
        comment="Kinh phí sự nghiệp phù hợp nội dung, định mức theo Thông tư số 60/2026/TT-BTC.",
    )
