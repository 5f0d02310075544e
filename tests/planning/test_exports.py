"""The .xlsx and .docx exports read back with the figures of seed 002 (Phong Thổ 2023)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from docx import Document
from openpyxl import load_workbook

from directory.models import User
from planning import selectors, services
from planning.exports import budget_xlsx, plan_docx, signature_block, vn_number
from planning.models import BudgetLine, Plan
from tests.planning.conftest import DISTRICT_DRAFTER

PROVINCE_CHAIR = "t3-p12-ubnd-head"
PROVINCE_VICE_CHAIR = "t3-p12-ubnd-head-deputy"
DISTRICT_CHAIR = "t3-d109-ubnd-head"


# --- helpers: read the files back the way an officer's tools would -------------------------


def budget_table(content: bytes) -> dict[str, dict[str, object]]:
    """The budget sheet as {STT or label: {column header: value}}, found by its header labels."""
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    top = next(i for i, row in enumerate(rows) if row[0] == "STT")
    # NSTW spans three columns: its sub-headers sit on the second header row.
    headers = [second or first for first, second in zip(rows[top], rows[top + 1], strict=True)]
    headers[headers.index("Tổng")] = "NSTW"
    table = {}
    for row in rows[top + 3 :]:
        record = dict(zip(headers, row, strict=True))
        table[row[0] or row[1]] = record
    return table


def docx_texts(content: bytes) -> list[str]:
    """Every paragraph of the document, in order, table cells included."""
    document = Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts.extend(p.text for p in cell.paragraphs)
    return texts


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("162756.000"), "162.756"),
        (Decimal("38.500"), "38,5"),
        (Decimal("1200"), "1.200"),
        (Decimal("0.500"), "0,5"),
        (Decimal("1234567.891"), "1.234.567,891"),
        (Decimal("-5.300"), "-5,3"),
        (Decimal("0.000"), "0"),
    ],
)
def test_vn_number_groups_thousands_with_dots_and_marks_decimals_with_a_comma(value, text):
    assert vn_number(value) == text


# --- xlsx ---------------------------------------------------------------------------------


def test_budget_xlsx_of_phong_tho_reads_back_with_the_seed_figures(phong_tho):
    table = budget_table(budget_xlsx(phong_tho))
    total = table["Tổng cộng"]
    assert total["Tổng cộng"] == 162756
    assert total["NSTW"] == 161044
    assert (total["Vốn đầu tư"], total["Vốn sự nghiệp"]) == (116200, 44844)
    assert total["Ngân sách địa phương (NSĐP)"] == 512
    assert total["Vốn huy động khác"] == 1200
    assert table["1.2"]["Tổng cộng"] == 77770
    assert (table["1.2"]["Vốn đầu tư"], table["1.2"]["Vốn sự nghiệp"]) == (70700, 7070)


def test_budget_xlsx_projects_add_up_their_sub_projects(phong_tho):
    table = budget_table(budget_xlsx(phong_tho))
    assert table["1"]["Tổng cộng"] == 50050 + 77770
    assert table["3"]["Tổng cộng"] == table["3.1"]["Tổng cộng"] + table["3.2"]["Tổng cộng"] == 5953
    projects = [key for key in table if key != "Tổng cộng" and "." not in key]
    assert projects == ["1", "2", "3", "4", "5", "6", "7"]
    assert sum(table[p]["Tổng cộng"] for p in projects) == table["Tổng cộng"]["Tổng cộng"]
    assert "6.1" not in table  # an item without money is not printed


def test_budget_xlsx_lines_match_the_database_line_by_line(phong_tho):
    table = budget_table(budget_xlsx(phong_tho))
    for line in BudgetLine.objects.filter(plan=phong_tho).select_related("item"):
        row = table[line.item.code]
        assert Decimal(row["Tổng cộng"]) == line.total, line.item.code
        assert Decimal(row["Ngân sách địa phương (NSĐP)"]) == line.local, line.item.code


def test_budget_xlsx_is_a_printable_a4_landscape_sheet_in_times_new_roman(phong_tho):
    sheet = load_workbook(io.BytesIO(budget_xlsx(phong_tho))).active
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4 in the OOXML paper size table
    assert sheet.freeze_panes is not None
    assert sheet["A1"].value == "ỦY BAN NHÂN DÂN\nHUYỆN PHONG THỔ"
    assert "năm 2023" in sheet["A2"].value
    fonts = {cell.font.name for row in sheet.iter_rows() for cell in row if cell.value is not None}
    assert fonts == {"Times New Roman"}
    formulas = [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert formulas == []  # values, so the file reads the same in tools that do not recalculate


def test_budget_xlsx_of_a_province_rolls_up_the_district_below_it(lai_chau, phong_tho):
    assert not lai_chau.lines.exists()
    table = budget_table(budget_xlsx(lai_chau))
    assert table["Tổng cộng"]["Tổng cộng"] == 162756
    assert table["5"]["Vốn huy động khác"] == 1200


def test_budget_xlsx_keeps_thousandths(phong_tho):
    drafter = User.objects.get(username=DISTRICT_DRAFTER)
    line = {"item": "7.2", "central_recurrent": "0.125", "local": "1200.5"}
    services.plan_lines_replace(actor=drafter, plan=phong_tho, rows=[line])
    sheet = load_workbook(io.BytesIO(budget_xlsx(phong_tho))).active
    total_row = next(row for row in sheet.iter_rows() if row[1].value == "Tổng cộng")
    assert total_row[2].value == pytest.approx(1200.625)
    assert total_row[2].number_format.startswith("#,##0.###")


# --- docx ---------------------------------------------------------------------------------


def test_plan_docx_has_the_decree_30_header_and_the_seed_total(phong_tho):
    texts = docx_texts(plan_docx(phong_tho))
    joined = "\n".join(texts)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "KẾ HOẠCH", "Nơi nhận:"):
        assert expected in texts, expected
    assert "Số:      /KH-UBND" in texts  # a draft leaves room for the number
    assert re.search(r"^Phong Thổ, ngày +tháng +năm \d{4}$", joined, re.MULTILINE)
    assert "162.756 triệu đồng" in joined
    assert "NSTW 161.044 triệu đồng (vốn đầu tư 116.200 triệu đồng, vốn sự nghiệp 44.844 triệu đồng)" in joined
    assert "NSĐP 512 triệu đồng; vốn huy động khác 1.200 triệu đồng" in joined
    assert "77.770" in texts  # the 1.2 row of the budget table


def test_plan_docx_prints_header_fields_legal_bases_recipients_and_indicators(phong_tho):
    texts = docx_texts(plan_docx(phong_tho))
    assert texts.count("ỦY BAN NHÂN DÂN") >= 1 and "HUYỆN PHONG THỔ" in texts
    for basis in phong_tho.legal_bases.splitlines():
        assert basis in texts
    for recipient in phong_tho.recipients.splitlines():
        assert f"- {recipient}" in texts
    poverty_rate = phong_tho.indicators.get(code="GN-2")
    assert poverty_rate.value == Decimal("38.5")
    assert "38,5" in texts


def test_an_issued_plan_prints_its_number_and_date(phong_tho):
    import datetime as dt

    Plan.objects.filter(pk=phong_tho.pk).update(number_symbol="72/KH-UBND", issued_on=dt.date(2023, 1, 5))
    phong_tho.refresh_from_db()
    texts = docx_texts(plan_docx(phong_tho))
    assert "Số: 72/KH-UBND" in texts
    assert "Phong Thổ, ngày 05 tháng 01 năm 2023" in texts


def test_plan_docx_is_a4_in_times_new_roman(phong_tho):
    document = Document(io.BytesIO(plan_docx(phong_tho)))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert document.styles["Normal"].font.name == "Times New Roman"


# --- signature block ----------------------------------------------------------------------


def test_a_vice_chair_signs_for_the_chair_with_a_kt_block(lai_chau):
    deputy, chair = User.objects.get(username=PROVINCE_VICE_CHAIR), User.objects.get(username=PROVINCE_CHAIR)
    assert deputy.full_name
    block = signature_block(lai_chau, signer=deputy, on_behalf_of=chair)
    assert block == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "", deputy.full_name]


def test_the_chair_signs_without_kt(phong_tho):
    chair = User.objects.get(username=DISTRICT_CHAIR)
    assert signature_block(phong_tho, signer=chair) == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "", chair.full_name]


def test_an_unknown_signer_leaves_the_name_blank(phong_tho):
    assert signature_block(phong_tho) == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]


def test_plan_docx_ends_with_the_kt_block_when_a_deputy_signs(lai_chau):
    deputy, chair = User.objects.get(username=PROVINCE_VICE_CHAIR), User.objects.get(username=PROVINCE_CHAIR)
    document = Document(io.BytesIO(plan_docx(lai_chau, signer=deputy, on_behalf_of=chair)))
    closing = document.tables[-1].rows[0].cells[1]
    lines = [p.text for p in closing.paragraphs if p.text]
    assert lines == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", deputy.full_name]
    assert "Nơi nhận:" in document.tables[-1].rows[0].cells[0].paragraphs[0].text


def test_plan_docx_without_a_signer_prints_no_name(phong_tho):
    document = Document(io.BytesIO(plan_docx(phong_tho)))
    lines = [p.text for p in document.tables[-1].rows[0].cells[1].paragraphs if p.text]
    assert lines == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]


def test_totals_in_the_documents_come_from_the_selectors(phong_tho):
    """Control: the figures asserted above are the plan's, not constants of the exporter."""
    sums = selectors.plan_totals(phong_tho)
    assert sums["total"] == Decimal("162756")
    BudgetLine.objects.filter(plan=phong_tho, item__code="5").update(other=Decimal("1300"))
    assert budget_table(budget_xlsx(phong_tho))["Tổng cộng"]["Tổng cộng"] == 162856
    assert "162.856 triệu đồng" in "\n".join(docx_texts(plan_docx(phong_tho)))
