"""The .docx a records clerk (văn thư) would accept (Decree 30/2020/NĐ-CP): who signs it and how
(the issuing rules of approvals/data/documents.json and the audit trail), its number and date,
the council's resolution among its legal bases, "Nơi nhận" from the route, the layout of the
budget annex (the plan's own lines in it, a province's own numbering), and the file rendered by
LibreOffice: the expected number of pages, every amount whole on one line."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from approvals import selectors as issuing
from approvals import services as approvals
from directory import services as directory_services
from directory.models import AdministrativeUnit, Agency, AgencyKind, Delegation, Membership, Role, Structure, User
from planning import exports, selectors, services
from planning.models import Cycle, Plan, PlanType
from tests.complete import complete
from tests.office import require_office_tools
from tests.planning.test_exports import (
    budget_docx_table,
    build_province_2027,
    closing_table,
    docx_texts,
    put_lines,
)
from tests.planning.two_tier import open_plan, province
from workflows import services as workflows

# Three-tier Lai Châu (2023)
T3_CHAIR, T3_VICE_CHAIR = "t3-p12-ubnd-head", "t3-p12-ubnd-head-deputy"
T3_DIRECTOR = "t3-p12-labour-head"  # Giám đốc Sở LĐTBXH, the standing agency
DISTRICT_CHAIR, DISTRICT_HEAD = "t3-d109-ubnd-head", "t3-d109-labour-head"
COMMUNE_HEAD, COMMUNE_DRAFTER = "t3-c03592-ubnd-head", "t3-c03592-ubnd-drafter"  # xã Sin Suối Hồ
# Two-tier Lai Châu (2027)
T2_CHAIR, T2_VICE_CHAIR = "t2-p12-ubnd-head", "t2-p12-ubnd-head-deputy"
T2_DIRECTOR, T2_DRAFTER = "t2-p12-agri-head", "t2-p12-agri-drafter"  # Sở NN&MT, the standing agency
T2_COUNCIL = "t2-p12-hdnd-council_secretary"


def user(username: str) -> User:
    return User.objects.get(username=username)


def plan_of(code: str, year: int = 2023, structure: str = Structure.THREE_TIER, plan_type: str = PlanType.ANNUAL):
    return Plan.objects.select_related("unit", "cycle__period").get(
        unit__structure=structure, unit__code=code, cycle__year=year, plan_type=plan_type
    )


def sign_off(plan: Plan, actor: str, *, acting_for: str | None = None, action: str = "submit") -> None:
    """The plan's signing decision as ``plan_act`` records it in the audit trail (without the
    route's other checks: the document only reads the trail)."""
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        approvals.audit_record(
            plan=locked,
            actor=user(actor),
            acting_for=user(acting_for) if acting_for else None,
            action=action,
            from_status=locked.status,
        )


def signature_of(content: bytes) -> list[str]:
    """The signature block's printed lines, bottom right of the plan's text."""
    cell = closing_table(Document(io.BytesIO(content))).rows[0].cells[1]
    return [p.text for p in cell.paragraphs if p.text]


def recipients_of(content: bytes) -> list[str]:
    cell = closing_table(Document(io.BytesIO(content))).rows[0].cells[0]
    return [p.text for p in cell.paragraphs if p.text][1:]


def header_of(content: bytes) -> tuple[list[str], list[str]]:
    """The header table's left (issuing body, number) and right (motto, date) lines."""
    left, right = Document(io.BytesIO(content)).tables[0].rows[0].cells
    return [p.text for p in left.paragraphs if p.text], [p.text for p in right.paragraphs if p.text]


def exported(client, plan: Plan) -> bytes:
    """The .docx as the API serves it (the signer found by ``document_signer``)."""
    response = client.get(f"/api/v1/plans/{plan.pk}/export.docx")
    assert response.status_code == 200, response.content[:300]
    return response.content


# --- signature blocks ----------------------------------------------------------------------


def test_the_commune_chair_who_submitted_signs_on_behalf_of_the_peoples_committee(demo, login_api):
    commune = complete(plan_of("03592"))
    workflows.plan_act(actor=user(COMMUNE_HEAD), plan_id=commune.pk, action="submit")
    content = exported(login_api(COMMUNE_DRAFTER), commune)
    assert signature_of(content) == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", user(COMMUNE_HEAD).display_name]
    left, _right = header_of(content)
    assert left[:2] == ["ỦY BAN NHÂN DÂN", "XÃ SIN SUỐI HỒ"]


def test_a_deputy_under_the_chairs_delegation_signs_kt_for_the_chair(lai_chau, login_api):
    """Three-tier Lai Châu's plan: the standing agency (Sở LĐTBXH) submitted it, the People's
    Committee issues it, and the demo's delegation has the vice-chair sign for the chair."""
    assert Delegation.objects.filter(principal__username=T3_CHAIR, deputy__username=T3_VICE_CHAIR).exists()
    sign_off(lai_chau, T3_DIRECTOR)
    assert issuing.document_signer(lai_chau) == (user(T3_VICE_CHAIR), user(T3_CHAIR))
    block = signature_of(exported(login_api("t3-p12-labour-drafter"), lai_chau))
    assert block == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", user(T3_VICE_CHAIR).display_name]
    assert not any("GIÁM ĐỐC" in line for line in block)
    assert user(T3_DIRECTOR).display_name not in block


def test_the_chair_signs_the_province_plan_the_department_drafted(demo, login_api):
    """The demo's 2027 plan of two-tier Lai Châu was submitted by the director of Sở NN&MT; no
    delegation there: the chair signs "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH", not "GIÁM ĐỐC SỞ"."""
    plan = plan_of("12", 2027, Structure.TWO_TIER)
    assert issuing.signatory(plan)[0] == user(T2_DIRECTOR)  # the trail's decision
    content = exported(login_api(T2_DRAFTER), plan)
    assert signature_of(content) == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", user(T2_CHAIR).display_name]
    assert header_of(content)[0][:2] == ["ỦY BAN NHÂN DÂN", "TỈNH LAI CHÂU"]


def test_a_deputy_chair_signing_in_their_own_right_still_signs_kt(demo):
    plan = plan_of("12", 2027, Structure.TWO_TIER)
    sign_off(plan, T2_VICE_CHAIR, action="report")
    signer, on_behalf_of = issuing.document_signer(plan)
    assert (signer, on_behalf_of) == (user(T2_VICE_CHAIR), None)
    block = exports.signature_block(plan, signer, on_behalf_of)
    assert block == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "", user(T2_VICE_CHAIR).display_name]


def test_the_district_plan_is_signed_by_the_district_chair_not_the_labour_office(phong_tho):
    sign_off(phong_tho, DISTRICT_HEAD)  # Trưởng phòng LĐTBXH submitted the district's plan
    signer, on_behalf_of = issuing.document_signer(phong_tho)
    assert (signer, on_behalf_of) == (user(DISTRICT_CHAIR), None)
    block = exports.signature_block(phong_tho, signer, on_behalf_of)
    assert block == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "", user(DISTRICT_CHAIR).display_name]
    assert "TRƯỞNG PHÒNG" not in block


@pytest.fixture
def monitoring_report(demo) -> Plan:
    """Two-tier Lai Châu's annual monitoring report: the standing agency's own document."""
    return open_plan(2027, province(), PlanType.MONITORING_ANNUAL)


def test_a_department_document_is_signed_by_its_director_without_tm(monitoring_report):
    sign_off(monitoring_report, T2_DIRECTOR)
    content = exports.plan_docx(monitoring_report, signer=user(T2_DIRECTOR))
    assert signature_of(content) == ["GIÁM ĐỐC", user(T2_DIRECTOR).display_name]
    left, _right = header_of(content)
    assert left == ["UBND TỈNH LAI CHÂU", "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "Số:      /BC-SNNMT"]
    texts = docx_texts(content)
    assert "BÁO CÁO" in texts and "KẾ HOẠCH" not in texts
    assert issuing.document_signer(monitoring_report) == (user(T2_DIRECTOR), None)


def test_the_plan_page_prints_the_number_with_the_symbol_the_document_prints(monitoring_report, client):
    """The page's header and the .docx share ``exports.document_number``: the department's "BC-SNNMT",
    not a committee's "UBND"; once the document has its number, that number."""
    client.force_login(user(T2_DIRECTOR))
    page = client.get(f"/plans/{monitoring_report.pk}/").content.decode()
    assert "Số: …/BC-SNNMT" in page and "/BC-UBND" not in page
    Plan.objects.filter(pk=monitoring_report.pk).update(number_symbol="41/BC-SNNMT")
    assert "Số: 41/BC-SNNMT" in client.get(f"/plans/{monitoring_report.pk}/").content.decode()


def test_a_deputy_director_signs_kt_giam_doc_under_a_delegation(monitoring_report):
    department = Agency.objects.get(unit=province(), kind=AgencyKind.AGRICULTURE)
    deputy = User.objects.create_user(username="t2-p12-agri-head-deputy-test", full_name="Lò Thị Hương")
    directory_services.membership_add(user=deputy, agency=department, role=Role.HEAD, title="Phó Giám đốc")
    today = timezone.localdate()
    directory_services.delegation_create(
        actor=user(T2_DIRECTOR),
        agency=department,
        principal=user(T2_DIRECTOR),
        deputy=deputy,
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=30),
        reason="Giám đốc đi công tác",
    )
    sign_off(monitoring_report, deputy.username, acting_for=T2_DIRECTOR)
    signer, on_behalf_of = issuing.document_signer(monitoring_report)
    assert (signer, on_behalf_of) == (deputy, user(T2_DIRECTOR))
    block = exports.signature_block(monitoring_report, signer, on_behalf_of)
    assert block == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "", "Lò Thị Hương"]


def test_a_draft_has_the_heads_capacity_and_no_name(phong_tho):
    assert issuing.document_signer(phong_tho) == (None, None)
    assert exports.signature_block(phong_tho) == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]


# --- a title missing in the directory: a fallback at the export, never a 500 ----------------


def test_an_officer_without_a_title_exports_200_with_the_fallback_title(sin_suoi_ho, login_api):
    """A title emptied outside the checked forms (an old row, a bulk load): the block falls
    back to the rules' title instead of answering 500 ("… has no title to sign with")."""
    head = user(COMMUNE_HEAD)
    assert Membership.objects.filter(user=head).update(title="") == 1
    sign_off(sin_suoi_ho, COMMUNE_HEAD)
    content = exported(login_api(COMMUNE_DRAFTER), sin_suoi_ho)
    assert signature_of(content) == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", head.display_name]


def test_a_deputy_without_a_title_signs_with_the_deputys_fallback_title(lai_chau):
    assert Membership.objects.filter(user__username__in=[T3_CHAIR, T3_VICE_CHAIR]).update(title="") == 2
    sign_off(lai_chau, T3_DIRECTOR)
    signer, on_behalf_of = issuing.document_signer(lai_chau)
    assert exports.signature_block(lai_chau, signer, on_behalf_of)[:3] == [
        "TM. ỦY BAN NHÂN DÂN",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
    ]


# --- number and date ------------------------------------------------------------------------


def test_the_2023_plan_is_dated_2023_once_issued_and_dotted_before(lai_chau):
    draft = exports.plan_docx(lai_chau)
    assert header_of(draft)[1][-1] == "Lai Châu, ngày …… tháng …… năm ……"
    assert header_of(draft)[0][-1] == "Số:      /KH-UBND"
    Plan.objects.filter(pk=lai_chau.pk).update(number_symbol="125/KH-UBND", issued_on=dt.date(2023, 12, 8))
    lai_chau.refresh_from_db()
    issued = exports.plan_docx(lai_chau)
    assert header_of(issued)[1][-1] == "Lai Châu, ngày 08 tháng 12 năm 2023"
    assert header_of(issued)[0][-1] == "Số: 125/KH-UBND"


@pytest.mark.parametrize(
    ("day", "printed"),
    [
        (dt.date(2023, 1, 5), ("05", "01", "2023")),
        (dt.date(2023, 2, 15), ("15", "02", "2023")),
        (dt.date(2023, 3, 9), ("09", "3", "2023")),
        (dt.date(2023, 12, 8), ("08", "12", "2023")),
    ],
)
def test_days_below_10_and_january_and_february_take_a_leading_zero(day, printed):
    assert exports.decree_date(day) == printed


# --- the council's resolution ---------------------------------------------------------------


def test_the_approved_province_plan_cites_its_resolution_in_the_legal_bases(demo, login_api):
    plan = plan_of("12", 2027, Structure.TWO_TIER)
    assert plan.status == "council"
    before = docx_texts(exported(login_api(T2_DRAFTER), plan))
    assert not any("NQ-HĐND" in text for text in before)
    day = timezone.localdate() - dt.timedelta(days=1)
    workflows.plan_act(
        actor=user(T2_COUNCIL),
        plan_id=plan.pk,
        action="approve",
        fields={"resolution_number": "25/NQ-HĐND", "resolution_date": day.isoformat()},
    )
    texts = docx_texts(exported(login_api(T2_DRAFTER), plan))
    basis = next(text for text in texts if "25/NQ-HĐND" in text)
    assert basis.startswith(
        f"Căn cứ Nghị quyết số 25/NQ-HĐND ngày {day:%d/%m/%Y} của Hội đồng nhân dân tỉnh Lai Châu phê duyệt"
    )
    # Among the "Căn cứ" lines: after the plan's own bases, before section I.
    assert texts.index(basis) < texts.index("I. MỤC ĐÍCH, YÊU CẦU")
    assert all(text in texts for text in plan.legal_bases.splitlines() if text.strip())


# --- Nơi nhận from the route ------------------------------------------------------------------


def test_recipients_come_from_the_route_when_the_plan_lists_none(sin_suoi_ho, lai_chau):
    assert not sin_suoi_ho.recipients and not lai_chau.recipients
    commune = recipients_of(exports.plan_docx(sin_suoi_ho))
    assert commune == ["- UBND huyện Phong Thổ (b/c);", "- Phòng LĐTBXH huyện Phong Thổ;", "- Lưu: VT."]
    province_lines = recipients_of(exports.plan_docx(lai_chau))
    assert province_lines[0].endswith("(b/c);")  # the ministry, the level above a province
    assert "- Thường trực HĐND tỉnh Lai Châu;" in province_lines
    assert {"- Sở KH&ĐT tỉnh Lai Châu;", "- Sở TC tỉnh Lai Châu;"} <= set(province_lines)  # the appraisal
    assert province_lines[-1] == "- Lưu: VT, Sở LĐTBXH."  # drafted by the standing agency


def test_a_plans_own_recipients_win(phong_tho):
    assert recipients_of(exports.plan_docx(phong_tho)) == [f"- {r}" for r in phong_tho.recipients.splitlines()]


def test_names_of_bodies_read_as_in_a_sentence(demo):
    """A unit's type is written once, in lower case inside a sentence, however the agency's
    name was stored ("… Xã Sin Suối Hồ" from the unit's name, or "… xã Sin Suối Hồ")."""
    committee = Agency.objects.get(unit__structure=Structure.THREE_TIER, unit__code="03592", kind="people_committee")
    for stored in ("Ủy ban nhân dân Xã Sin Suối Hồ", "Ủy ban nhân dân xã Sin Suối Hồ"):
        committee.name = stored
        assert issuing.agency_label(committee) == "Ủy ban nhân dân xã Sin Suối Hồ"
    assert issuing.agency_short_label(committee) == "UBND xã Sin Suối Hồ"
    labour = Agency.objects.get(unit__structure=Structure.THREE_TIER, unit__code="109", kind="labour")
    assert issuing.agency_short_label(labour) == "Phòng LĐTBXH huyện Phong Thổ"


# --- the layout -----------------------------------------------------------------------------


def test_times_new_roman_in_every_font_slot_and_no_theme_font(phong_tho):
    content = exports.plan_docx(phong_tho)
    document = Document(io.BytesIO(content))
    elements = [document.styles.element, document.element]
    fonts = [f for element in elements for f in element.iter(qn("w:rFonts"))]
    assert fonts
    for r_fonts in fonts:
        names = dict(r_fonts.attrib.items())
        assert not any(key.endswith("Theme") or key.endswith("theme") for key in names), names
        assert set(names.values()) == {"Times New Roman"}, names


def test_margins_are_those_of_decree_30(phong_tho):
    document = Document(io.BytesIO(exports.plan_docx(phong_tho)))
    text, annex = document.sections[0], document.sections[-1]
    mm = {name: round(getattr(text, name).mm) for name in exports.PAGE_MARGINS}
    assert 20 <= mm["top_margin"] <= 25 and 20 <= mm["bottom_margin"] <= 25
    assert 30 <= mm["left_margin"] <= 35 and 15 <= mm["right_margin"] <= 20
    # The landscape annex is the portrait page turned: binding (30-35 mm) along its top edge.
    turned = {name: round(getattr(annex, name).mm) for name in exports.LANDSCAPE_MARGINS}
    assert 30 <= turned["top_margin"] <= 35 and 15 <= turned["bottom_margin"] <= 20
    assert 20 <= turned["left_margin"] <= 25 and 20 <= turned["right_margin"] <= 25


def test_the_table_repeats_its_header_keeps_rows_whole_and_stays_with_its_title(phong_tho):
    document = Document(io.BytesIO(exports.plan_docx(phong_tho)))
    table = budget_docx_table(document)
    for index, row in enumerate(table.rows):
        tr_pr = row._tr.trPr
        assert tr_pr is not None and tr_pr.find(qn("w:cantSplit")) is not None, index
        assert (tr_pr.find(qn("w:tblHeader")) is not None) == (index < 3), index
    paragraphs = document.paragraphs
    annex = next(i for i, p in enumerate(paragraphs) if p.text == exports.ANNEX_LABEL)
    before_table = paragraphs[annex:]  # the annex's title lines and the unit note
    assert [p.text for p in before_table][-1] == exports.UNIT_NOTE
    assert all(p.paragraph_format.keep_with_next for p in before_table)


def test_the_table_shows_the_plans_own_lines_under_their_items_and_they_add_up(province_2027_plan):
    """The content of each line is in the table, with its amounts; a parent plan's item also
    shows what comes from below, so the rows under an item add up to the item."""
    content = exports.plan_docx(province_2027_plan)
    table = budget_docx_table(Document(io.BytesIO(content)))
    rows = [[cell.text for cell in row.cells] for row in table.rows[3:]]
    at = next(i for i, r in enumerate(rows) if r[0] == "C1.02.01")
    item, details = rows[at], []
    for row in rows[at + 1 :]:
        if row[0] != exports.LINE_MARK:
            break
        details.append(row)
    assert [d[1] for d in details] == ["Đường giao thông liên xã", exports.BELOW_LABEL]

    def number(text: str) -> Decimal:
        return Decimal(text.replace(".", "").replace(",", ".")) if text != "-" else Decimal(0)

    for column in range(2, len(item)):
        assert sum(number(d[column]) for d in details) == number(item[column]), column
    # The same rows in the .xlsx.
    sheet = load_workbook(io.BytesIO(exports.budget_xlsx(province_2027_plan))).active
    labels = [row[1].value for row in sheet.iter_rows() if row[0].value == exports.LINE_MARK]
    assert "Đường giao thông liên xã" in labels and "Cấp nước sinh hoạt tập trung" in labels


def test_the_grand_total_says_how_much_is_own_and_how_much_from_below(province_2027_plan):
    sums = selectors.plan_totals(province_2027_plan)
    texts = docx_texts(exports.plan_docx(province_2027_plan))
    own, below = exports.vn_number(sums["own"]["total"]), exports.vn_number(sums["below"]["total"])
    assert f"Trong tổng số: kinh phí của đơn vị {own} triệu đồng, kinh phí của cấp dưới {below} triệu đồng." in texts
    assert exports.OWN_SHARE_LABEL in texts and exports.BELOW_LABEL in texts


@pytest.fixture
def province_2027_plan(demo) -> Plan:
    return build_province_2027()


# --- a province's own numbering (Lâm Đồng, seed 003) -------------------------------------------


@pytest.fixture
def lam_dong_plan(demo) -> Plan:
    call_command("load_units", "three-tier", "--province", "68", "--with-agencies", stdout=io.StringIO())
    call_command("load_catalogue", stdout=io.StringIO())
    unit = AdministrativeUnit.objects.get(structure=Structure.THREE_TIER, code="68")
    officer = User.objects.create_user(username="lamdong-docs-drafter", full_name="Cán bộ Sở LĐTBXH Lâm Đồng")
    directory_services.membership_add(
        user=officer, agency=Agency.objects.get(unit=unit, kind=AgencyKind.LABOUR), role=Role.DRAFTER
    )
    plan = services.plan_create(
        actor=officer, cycle=Cycle.objects.get(year=2023, structure=Structure.THREE_TIER), unit=unit, plan_type="annual"
    )
    put_lines(
        plan,
        [
            ("4.3", "Sàn giao dịch việc làm lưu động", {"central_recurrent": "640"}),
            ("2", "Mô hình trồng cà phê xen canh", {"central_recurrent": "1250", "local": "120"}),
        ],
    )
    return Plan.objects.select_related("unit", "cycle__period").get(pk=plan.pk)


LAM_DONG_ROWS = {
    "1": "Dự án 1: Đa dạng hóa sinh kế, phát triển mô hình giảm nghèo (mã quốc gia 2)",
    "3": "Dự án 3: Phát triển giáo dục nghề nghiệp, việc làm bền vững (mã quốc gia 4)",
    "3.2": "Tiểu dự án 2: Hỗ trợ việc làm bền vững (mã quốc gia 4.3)",
}


def test_lam_dong_sees_its_own_numbers_and_labels_with_the_national_code_beside(lam_dong_plan):
    sheet = load_workbook(io.BytesIO(exports.budget_xlsx(lam_dong_plan))).active
    xlsx = {row[0].value: row[1].value for row in sheet.iter_rows() if row[0].value in LAM_DONG_ROWS}
    assert xlsx == LAM_DONG_ROWS
    table = budget_docx_table(Document(io.BytesIO(exports.plan_docx(lam_dong_plan))))
    docx = {row.cells[0].text: row.cells[1].text for row in table.rows[3:] if row.cells[0].text in LAM_DONG_ROWS}
    assert docx == LAM_DONG_ROWS
    assert "4.3" not in {row.cells[0].text for row in table.rows[3:]}  # the national code is beside, not the STT


def test_lam_dongs_component_report_keeps_national_codes_beside_its_labels(lam_dong_plan):
    from planning.reports import FIRST_DATA_ROW, component_report_xlsx

    sheet = load_workbook(io.BytesIO(component_report_xlsx(lam_dong_plan))).worksheets[0]
    rows = {row[0]: row[1] for row in sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True) if row[0]}
    assert rows["4.3"] == "Tiểu dự án 2: Hỗ trợ việc làm bền vững"
    assert rows["2"].startswith("Dự án 1:")


# --- rendered by LibreOffice ------------------------------------------------------------------

TOOLS = ("soffice", "pdftotext", "pdfinfo", "fc-list")


@pytest.fixture(scope="module")
def renderer():
    """LibreOffice, poppler and a Times New Roman-metric font with the Vietnamese letters
    (Liberation Serif 2): skipped on a laptop without them, a failure under REQUIRE_POSTGRES=1
    (CI, where .ci/run installs them)."""
    require_office_tools(tools=TOOLS, font="Liberation Serif", purpose="rendering")
    return render


def render(content: bytes, directory: Path) -> list[str]:
    """The .docx converted to PDF by LibreOffice headless (its own profile, so runs in parallel
    do not share one), read back page by page with ``pdftotext -layout``."""
    source = directory / "plan.docx"
    source.write_bytes(content)
    profile = (directory / "profile").as_uri()
    subprocess.run(
        [
            *("soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf"),
            *("--outdir", str(directory), str(source)),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = directory / "plan.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    pages = text.split("\f")[:count]
    assert len(pages) == count
    return pages


def annex_pages(pages: list[str]) -> list[str]:
    starts = (i for i, page in enumerate(pages) if exports.ANNEX_LABEL in (line.strip() for line in page.splitlines()))
    first = next(starts)
    return pages[first:]


def assert_every_amount_whole(plan: Plan, pages: list[str]) -> None:
    """Each row of the budget table has all its amounts, each whole ("221.206,75", never
    "221.206," and "75"), as the last words of one printed line; so has every figure of
    ``plan_totals`` (the grand total, each item and group)."""
    sources = selectors.plan_sources(plan)
    sums = selectors.plan_totals(plan)
    rows = exports.budget_rows(plan, sums, detail=exports.line_detail(plan, sums, sources))
    columns = exports.budget_columns(sources)
    lines = [line.split() for page in annex_pages(pages) for line in page.splitlines()]
    for row in rows:
        expected = [exports.amount_text(row.amounts[c.key]) for c in columns]
        assert any(tokens[-len(expected) :] == expected for tokens in lines), (row.number, row.label, expected)
    words = {word for tokens in lines for word in tokens}
    figures = [exports._flat(sums), *sums["by_item"].values(), *sums["by_group"].values()]
    for amounts in figures:
        for value in amounts.values():
            if value:
                assert exports.vn_number(value) in words, value


def test_phong_tho_renders_on_three_pages_with_every_amount_whole(phong_tho, renderer, tmp_path):
    """Seed 002's plan: two portrait pages of text (the signature keeps its last paragraph with
    it), the budget annex on one landscape page."""
    pages = renderer(exports.plan_docx(phong_tho), tmp_path)
    assert len(pages) == 3
    assert len(annex_pages(pages)) == 1
    assert "Phong Thổ, ngày …… tháng …… năm ……" in pages[0]
    assert "162.756" in annex_pages(pages)[0].split()
    assert_every_amount_whole(phong_tho, pages)


def test_control_amounts_squeezed_into_narrow_columns_fail_the_check(phong_tho, renderer, tmp_path, monkeypatch):
    """Control for the render check: with amount columns too narrow and wrapping allowed, the
    amounts split across lines and the check says so (it is not vacuous)."""
    fitted = exports.budget_layout

    def squeezed(rows, columns, usable_cm):
        layout = fitted(rows, columns, usable_cm)
        narrow = 0.9
        content = usable_cm - layout.widths[0] - narrow * len(columns)
        return exports.TableLayout(layout.size, (layout.widths[0], content, *[narrow] * len(columns)))

    monkeypatch.setattr(exports, "budget_layout", squeezed)
    monkeypatch.setattr(exports, "_no_wrap", lambda cell: None)
    pages = renderer(exports.plan_docx(phong_tho), tmp_path)
    with pytest.raises(AssertionError) as split:
        assert_every_amount_whole(phong_tho, pages)
    assert "162.756" in str(split.value) or "Tổng cộng" in str(split.value), split.value


def assert_header_on_every_annex_page(plan: Plan, pages: list[str]) -> None:
    """Every page of the annex starts with the table's header: "STT" and the column numbers
    (the total's "1=2+…" may wrap after a "+")."""
    columns = exports.budget_columns(selectors.plan_sources(plan))
    total = columns[0].formula.split("+")[0]
    for index, page in enumerate(annex_pages(pages)):
        head = " ".join(page.splitlines()[:12]).split()
        assert exports.STT_LABEL in head, index
        assert any(word.startswith(total) for word in head), index


def test_a_plan_with_seven_sources_and_a_roll_up_renders_whole(province_2027_plan, renderer, tmp_path):
    """Nine amount columns on A4 landscape, the plan's own lines and the money from below under
    its items: one portrait page, an annex of two landscape pages with the header repeated,
    nothing wrapped inside an amount."""
    pages = renderer(exports.plan_docx(province_2027_plan), tmp_path)
    assert len(pages) == 3
    assert len(annex_pages(pages)) == 2
    assert_header_on_every_annex_page(province_2027_plan, pages)
    assert_every_amount_whole(province_2027_plan, pages)


def test_the_demos_long_annex_repeats_its_header_on_every_page(demo, renderer, tmp_path):
    """The demo's 2027 plan of Lai Châu (figures of another author: the structure is checked,
    not a page count): the annex runs over several pages, each with the header, amounts whole."""
    plan = plan_of("12", 2027, Structure.TWO_TIER)
    pages = renderer(exports.plan_docx(plan), tmp_path)
    assert len(annex_pages(pages)) >= 2
    assert_header_on_every_annex_page(plan, pages)
    assert_every_amount_whole(plan, pages)
