"""Budget lines from Excel: the template round-trips, bad rows are named by Excel row, nothing
half-imports."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook, load_workbook

from config.errors import StructuredValidationError
from directory.models import User
from planning import selectors
from planning.imports import MAX_ROWS, import_lines_xlsx, lines_template_xlsx, parse_lines_xlsx
from planning.models import AMOUNT_FIELDS, BudgetLine, CatalogueItem
from tests.planning.conftest import DISTRICT_DRAFTER, OUTSIDER

LINE_FIELDS = ("content", "lead_agency", "coordinating_agencies", "beneficiaries", *AMOUNT_FIELDS)


@pytest.fixture
def drafter(demo) -> User:
    return User.objects.get(username=DISTRICT_DRAFTER)


def saved_lines(plan) -> list[dict]:
    return list(plan.lines.order_by("position").values("item__code", *LINE_FIELDS))


def state(plan) -> tuple[int, Decimal]:
    return plan.lines.count(), selectors.plan_totals(plan, include_children=False)["total"]


def xlsx(sheet_rows: list[list]) -> io.BytesIO:
    workbook = Workbook()
    for row in sheet_rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def template_with(plan, extra_rows: list[list], *, gap: int = 0) -> tuple[io.BytesIO, int]:
    """The plan's template with rows appended after ``gap`` blank rows; returns the file and the
    Excel row number of the first appended row."""
    workbook = load_workbook(io.BytesIO(lines_template_xlsx(plan)))
    sheet = workbook.worksheets[0]
    first = sheet.max_row + 1 + gap
    for offset, values in enumerate(extra_rows):
        for column, value in enumerate(values, start=1):
            sheet.cell(first + offset, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer, first


def row_errors(excinfo: pytest.ExceptionInfo) -> dict[int, dict[str, list[str]]]:
    assert isinstance(excinfo.value, StructuredValidationError)
    return excinfo.value.detail["rows"]


# --- template -----------------------------------------------------------------------------


def test_template_lists_the_plans_lines_and_the_budgetable_catalogue(phong_tho):
    workbook = load_workbook(io.BytesIO(lines_template_xlsx(phong_tho)))
    lines_sheet, catalogue = workbook.worksheets
    header = [cell.value for cell in lines_sheet[1]]
    assert header[:6] == [
        "Mã dự án",
        "Nội dung",
        "NSTW - vốn đầu tư",
        "NSTW - vốn sự nghiệp",
        "NSĐP",
        "Vốn huy động khác",
    ]
    codes = [row[0] for row in lines_sheet.iter_rows(min_row=2, values_only=True)]
    assert codes == [line["item__code"] for line in saved_lines(phong_tho)]
    listed = [row[0] for row in catalogue.iter_rows(min_row=2, values_only=True)]
    budgetable = CatalogueItem.objects.filter(period=phong_tho.cycle.period, budgetable=True).order_by("position")
    assert listed == [item.code for item in budgetable]
    assert "1" not in listed and "1.1" in listed  # a project with sub-projects takes no money
    (validation,) = lines_sheet.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == f"'Danh mục'!$A$2:$A${len(listed) + 1}"
    assert "A2" in validation.sqref


def test_template_round_trips_to_the_same_lines(phong_tho):
    before = saved_lines(phong_tho)
    parsed = parse_lines_xlsx(phong_tho, io.BytesIO(lines_template_xlsx(phong_tho)))
    assert [{"item__code": row.pop("item"), **row} for row in parsed] == before


def test_importing_the_template_back_changes_nothing(phong_tho, drafter):
    before = saved_lines(phong_tho)
    lines = import_lines_xlsx(actor=drafter, plan=phong_tho, fileobj=io.BytesIO(lines_template_xlsx(phong_tho)))
    assert len(lines) == len(before)
    assert saved_lines(phong_tho) == before
    assert selectors.plan_totals(phong_tho)["total"] == Decimal("162756")


# --- parsing what officers type -----------------------------------------------------------


def test_a_hand_made_sheet_with_a_title_blank_rows_and_both_notations_imports(phong_tho, drafter):
    upload = xlsx(
        [
            ["Kế hoạch vốn xã"],
            [],
            ["Mã dự án", "Nội dung", "NSTW - vốn đầu tư", "NSTW - vốn sự nghiệp", "NSĐP", "Vốn huy động khác"],
            [1.1, "Đường", 100.5, None, None, None],
            [],
            ["7.2", "Giám sát", "", "1.200,25", "0,5", 3],
        ]
    )
    import_lines_xlsx(actor=drafter, plan=phong_tho, fileobj=upload)
    assert [(line.item.code, line.total) for line in phong_tho.lines.order_by("position")] == [
        ("1.1", Decimal("100.5")),
        ("7.2", Decimal("1203.75")),
    ]


def test_the_header_may_use_the_column_keys(phong_tho):
    upload = xlsx([["item", "central_recurrent", "central_investment", "local", "other"], ["5", 12060, 0, 0, 1200]])
    (row,) = parse_lines_xlsx(phong_tho, upload)
    assert (row["item"], row["central_recurrent"], row["other"]) == ("5", Decimal("12060"), Decimal("1200"))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (["1.1", "", -5, 0, 0, 0], "central_investment"),
        (["1.1", "", 0, "abc", 0, 0], "central_recurrent"),
        (["1.1", "", 0, 0, "1,2345", 0], "local"),
        (["1.1", "", 0, 0, 1.2345, 0], "local"),
        (["1.1", "", 0, 0, 0, 1e12], "other"),
        (["9.9", "", 1, 0, 0, 0], "item"),
        (["1", "", 1, 0, 0, 0], "item"),  # a project with sub-projects takes no money directly
        (["1.1", "", "1.200", 0, 0, 0], "central_investment"),  # 1200 or 1,2? the officer must say
    ],
)
def test_a_bad_row_is_named_by_its_excel_row_and_nothing_is_saved(phong_tho, drafter, values, field):
    before = state(phong_tho)
    upload, bad_row = template_with(phong_tho, [values], gap=1)
    with pytest.raises(ValidationError) as excinfo:
        import_lines_xlsx(actor=drafter, plan=phong_tho, fileobj=upload)
    errors = row_errors(excinfo)
    assert list(errors) == [bad_row]
    assert list(errors[bad_row]) == [field]
    assert state(phong_tho) == before


def test_every_bad_row_is_reported_at_once(phong_tho):
    upload, first = template_with(phong_tho, [["1.1", "", -1, 0, 0, 0], ["2", "", 0, 1, 0, 0], ["x", "", 0, 0, 0, 0]])
    with pytest.raises(ValidationError) as excinfo:
        parse_lines_xlsx(phong_tho, upload)
    assert sorted(row_errors(excinfo)) == [first, first + 2]


@pytest.mark.parametrize(
    "content",
    [
        b"not a spreadsheet at all",
        b"PK\x03\x04" + b"\x00" * 64,  # the start of a zip, and nothing after it
        "Mã dự án;NSĐP\n1.1;5\n".encode(),  # a CSV renamed to .xlsx
    ],
)
def test_a_file_that_is_not_an_xlsx_is_a_file_error_and_nothing_is_saved(phong_tho, drafter, content):
    before = state(phong_tho)
    with pytest.raises(ValidationError) as excinfo:
        import_lines_xlsx(actor=drafter, plan=phong_tho, fileobj=io.BytesIO(content))
    assert list(excinfo.value.message_dict) == ["file"]
    assert state(phong_tho) == before


def test_a_zip_that_is_not_a_workbook_is_a_file_error(phong_tho):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    buffer.seek(0)
    with pytest.raises(ValidationError) as excinfo:
        parse_lines_xlsx(phong_tho, buffer)
    assert list(excinfo.value.message_dict) == ["file"]


def test_a_sheet_without_the_header_is_a_file_error(phong_tho):
    with pytest.raises(ValidationError) as excinfo:
        parse_lines_xlsx(phong_tho, xlsx([["Dự án", "Tiền"], ["1.1", 5]]))
    assert list(excinfo.value.message_dict) == ["file"]


def test_a_header_without_an_amount_column_is_a_file_error_not_a_silent_zero(phong_tho):
    with pytest.raises(ValidationError) as excinfo:
        parse_lines_xlsx(phong_tho, xlsx([["Mã dự án", "NSĐP"], ["1.1", 5]]))
    assert "NSTW - vốn đầu tư" in excinfo.value.message_dict["file"][0]


def test_more_than_the_row_limit_is_a_file_error(phong_tho, drafter):
    before = state(phong_tho)
    header = ["Mã dự án", "NSTW - vốn đầu tư", "NSTW - vốn sự nghiệp", "NSĐP", "Vốn huy động khác"]
    rows = [header, *[["7.2", 0, 1, 0, 0]] * (MAX_ROWS + 1)]
    with pytest.raises(ValidationError) as excinfo:
        import_lines_xlsx(actor=drafter, plan=phong_tho, fileobj=xlsx(rows))
    assert list(excinfo.value.message_dict) == ["file"]
    assert state(phong_tho) == before


def test_exactly_the_row_limit_imports(phong_tho):
    header = ["Mã dự án", "NSTW - vốn đầu tư", "NSTW - vốn sự nghiệp", "NSĐP", "Vốn huy động khác"]
    assert len(parse_lines_xlsx(phong_tho, xlsx([header, *[["7.2", 0, 1, 0, 0]] * MAX_ROWS]))) == MAX_ROWS


def test_an_outsider_cannot_import(phong_tho):
    before = state(phong_tho)
    outsider = User.objects.get(username=OUTSIDER)
    with pytest.raises(PermissionDenied):
        import_lines_xlsx(actor=outsider, plan=phong_tho, fileobj=io.BytesIO(lines_template_xlsx(phong_tho)))
    assert state(phong_tho) == before


def test_the_control_file_does_change_the_lines(phong_tho, drafter):
    """Control for the 'nothing is saved' tests: the same path with a good row does save."""
    upload, _row = template_with(phong_tho, [["6.1", "Thông tin", 0, 7, 0, 0]])
    import_lines_xlsx(actor=drafter, plan=phong_tho, fileobj=upload)
    count, total = state(phong_tho)
    assert count == 13
    assert total == Decimal("162763")
    assert BudgetLine.objects.get(plan=phong_tho, item__code="6.1").central_recurrent == Decimal("7")


# --- households ----------------------------------------------------------------------------


def test_household_list_imports_from_xlsx_and_bad_rows_are_named(demo, login_api):
    from io import BytesIO

    from openpyxl import Workbook

    from planning.models import Plan

    commune = Plan.objects.get(unit__structure="three-tier", unit__code="03592", cycle__year=2023)
    api = login_api("t3-c03592-ubnd-drafter")
    template = api.get(f"/api/v1/plans/{commune.pk}/households/template.xlsx")
    assert template.status_code == 200

    def upload(rows):
        book = Workbook()
        book.active.append(["Mã hộ", "Chủ hộ", "Nguyên nhân nghèo", "Hỗ trợ dự kiến", "Tổ chức, cá nhân giúp đỡ"])
        for row in rows:
            book.active.append(row)
        buffer = BytesIO()
        book.save(buffer)
        buffer.seek(0)
        buffer.name = "ho.xlsx"
        return api.post(f"/api/v1/plans/{commune.pk}/households/import/", {"file": buffer}, format="multipart")

    good = upload(
        [
            ["SSH-01", "Lò A Sử", "Thiếu đất sản xuất", "Hỗ trợ giống ngô", "Hội Nông dân xã"],
            ["SSH-02", "Vàng Thị Dế", "Thiếu vốn", "Vay vốn ưu đãi", "NHCSXH"],
        ]
    )
    assert good.status_code == 200, good.json()
    assert [h["code"] for h in good.json()] == ["SSH-01", "SSH-02"]
    bad = upload([["SSH-03", "", "", "", ""], ["SSH-03", "Lò Văn Chứ", "", "", ""]])
    assert bad.status_code == 400
    assert set(bad.json()["rows"]) == {"2", "3"}  # Excel rows: a missing name, then a duplicate code
    assert list(commune.households.values_list("code", flat=True)) == ["SSH-01", "SSH-02"]
