"""Every file the product writes keeps user text as text: a formula typed into a budget line or a
household comes back as a string cell, never a live formula; text stored before the input rule
(control characters, U+FFFF) cannot make a download answer 500."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import Workbook, load_workbook

from config.spreadsheet import append, put
from planning.models import BudgetLine, Household, Plan

EVIL = '=HYPERLINK("https://evil.example","click")'
DISTRICT_DRAFTER = "t3-d109-labour-drafter"  # Phòng LĐTBXH Phong Thổ
T3_COMMUNE_DRAFTER = "t3-c03592-ubnd-drafter"


@pytest.fixture
def district_plan(demo) -> Plan:
    """Phong Thổ's 2023 plan (a district, with lines): the name is kept short for the tests."""
    return Plan.objects.get(unit__structure="three-tier", unit__code="109", cycle__year=2023, plan_type="annual")


@pytest.fixture
def household_plan(demo) -> Plan:
    return Plan.objects.get(unit__structure="three-tier", unit__code="03592", cycle__year=2023)


def cells(content: bytes):
    workbook = load_workbook(io.BytesIO(content))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def cells_holding(content: bytes, text: str):
    return [cell for cell in cells(content) if isinstance(cell.value, str) and text in cell.value]


def saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("text", [EVIL, "+1+2", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "#N/A", "=1"])
def test_the_cell_writer_stores_a_string_as_text_with_a_quote_prefix_when_it_looks_like_a_formula(text):
    workbook = Workbook()
    put(workbook.active, 1, 1, text)
    append(workbook.active, [text, 12.5])
    for cell in (workbook.active["A1"], workbook.active["A2"]):
        assert cell.data_type == "s"
    read = load_workbook(io.BytesIO(saved(workbook))).active
    for coordinate in ("A1", "A2"):
        assert read[coordinate].data_type == "s"
        assert read[coordinate].value == text
        assert read[coordinate].quotePrefix is (text[0] in "=+-@\t\r")
    assert read["B2"].value == 12.5 and read["B2"].data_type == "n"


def test_the_cell_writer_drops_what_xml_cannot_hold():
    workbook = Workbook()
    put(workbook.active, 1, 1, "Hỗ\u0007 trợ\uffff\ud800 giống")
    assert load_workbook(io.BytesIO(saved(workbook))).active["A1"].value == "Hỗ trợ giống"


def test_a_formula_in_line_content_comes_back_as_text_in_the_lines_template(login_api, district_plan):
    BudgetLine.objects.filter(pk=district_plan.lines.first().pk).update(content=EVIL)
    response = login_api(DISTRICT_DRAFTER).get(f"/api/v1/plans/{district_plan.pk}/lines/template.xlsx")
    assert response.status_code == 200
    [cell] = cells_holding(response.content, "HYPERLINK")
    assert (cell.value, cell.data_type, cell.quotePrefix) == (EVIL, "s", True)
    numbers = [c for c in cells(response.content) if c.row == cell.row and c.data_type == "n" and c.value]
    assert numbers, "the line's amounts stay numbers"


def test_a_formula_in_line_content_comes_back_as_text_in_the_budget_export(login_api, district_plan):
    BudgetLine.objects.filter(pk=district_plan.lines.first().pk).update(content=EVIL)
    response = login_api(DISTRICT_DRAFTER).get(f"/api/v1/plans/{district_plan.pk}/export.xlsx")
    assert response.status_code == 200
    formulas = [c for c in cells(response.content) if c.data_type == "f"]
    assert formulas == []
    [cell] = cells_holding(response.content, "HYPERLINK")
    assert cell.data_type == "s" and cell.value.endswith(EVIL)


def test_a_formula_in_a_household_comes_back_as_text_in_the_households_template(login_api, household_plan):
    Household.objects.create(plan=household_plan, position=99, code="=1+1", head_name=EVIL, cause="@cmd")
    response = login_api(T3_COMMUNE_DRAFTER).get(f"/api/v1/plans/{household_plan.pk}/households/template.xlsx")
    assert response.status_code == 200
    for text in ("=1+1", EVIL, "@cmd"):
        [cell] = [c for c in cells(response.content) if c.value == text]
        assert (cell.data_type, cell.quotePrefix) == ("s", True)


def test_no_sheet_the_product_writes_holds_a_formula(login_api, district_plan):
    BudgetLine.objects.filter(plan=district_plan).update(content=EVIL)
    client = login_api(DISTRICT_DRAFTER)
    for path in ("lines/template.xlsx", "export.xlsx", "report-by-content.xlsx"):
        response = client.get(f"/api/v1/plans/{district_plan.pk}/{path}")
        assert response.status_code == 200, path
        assert [c.coordinate for c in cells(response.content) if c.data_type == "f"] == [], path


def test_stored_control_characters_do_not_break_any_download(login_api, district_plan, household_plan):
    """Text stored before the input rule: every reader still gets the file, without them."""
    broken = "Hỗ trợ\u0007 giống\uffff ngô\x1b"
    BudgetLine.objects.filter(plan=district_plan).update(content=broken, beneficiaries="\x01hộ nghèo")
    Plan.objects.filter(pk=district_plan.pk).update(purpose=broken, objectives="\x0bMục tiêu")
    client = login_api(DISTRICT_DRAFTER)
    for path in ("lines/template.xlsx", "export.xlsx", "report-by-content.xlsx"):
        response = client.get(f"/api/v1/plans/{district_plan.pk}/{path}")
        assert response.status_code == 200, path
        assert cells_holding(response.content, "Hỗ trợ giống ngô") or path == "report-by-content.xlsx", path
    response = client.get(f"/api/v1/plans/{district_plan.pk}/export.docx")
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "Hỗ trợ giống ngô" in text or "Mục tiêu" in text
    Household.objects.create(plan=household_plan, position=99, code="H\u0007-1", head_name="Lò\uffff A")
    response = login_api(T3_COMMUNE_DRAFTER).get(f"/api/v1/plans/{household_plan.pk}/households/template.xlsx")
    assert response.status_code == 200
    assert [c.value for c in cells(response.content) if c.value in ("H-1", "Lò A")] == ["H-1", "Lò A"]
