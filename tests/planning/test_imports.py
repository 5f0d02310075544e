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
from planning import selectors, services
from planning.imports import MAX_ROWS, import_lines_xlsx, lines_template_xlsx, parse_lines_xlsx
from planning.models import CatalogueItem, LineAmount, Plan
from tests.periods import SOURCES_2021_2025, SOURCES_2026_2030
from tests.planning.conftest import DISTRICT_DRAFTER, OUTSIDER
from tests.planning.test_exports import PLAN_TYPE_2027, officer, open_plan, put_lines, two_tier_units

HEADER_2021_2025 = ["Mã dự án", "Nội dung", *SOURCES_2021_2025.values()]
SOURCE_HEADERS_2026_2030 = list(SOURCES_2026_2030.values())


@pytest.fixture
def drafter(demo) -> User:
    return User.objects.get(username=DISTRICT_DRAFTER)


def saved_lines(plan) -> list[dict]:
    """The plan's lines as stored: item, catalogue, texts and the non-zero amounts by source."""
    return services.snapshot_lines(plan)


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
    assert header[:6] == HEADER_2021_2025  # the short label of each source of the period
    assert "Danh mục" not in header  # one catalogue in 2023: no catalogue column
    codes = [row[0] for row in lines_sheet.iter_rows(min_row=2, values_only=True)]
    assert codes == [line["item"] for line in saved_lines(phong_tho)]
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
    assert parsed == before
    assert {code for line in parsed for code in line["amounts"]} == {
        "central_investment",
        "central_recurrent",
        "local",
        "other",
    }


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
            ["Mã dự án", "Nội dung", "NSTW - ĐTPT", "Ngân sách Trung ương - vốn sự nghiệp", "NSĐP", "other"],
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
    assert row["item"] == "5"
    assert row["amounts"] == {"central_recurrent": "12060.000", "other": "1200.000"}  # zeros are no amount


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (["1.1", "", -5, 0, 0, 0], "NSTW - ĐTPT"),
        (["1.1", "", 0, "abc", 0, 0], "NSTW - SN"),
        (["1.1", "", 0, 0, "1,2345", 0], "NSĐP"),
        (["1.1", "", 0, 0, 1.2345, 0], "NSĐP"),
        (["1.1", "", 0, 0, 0, 1e12], "Huy động khác"),
        (["9.9", "", 1, 0, 0, 0], "Mã dự án"),
        (["1", "", 1, 0, 0, 0], "Mã dự án"),  # a project with sub-projects takes no money directly
        (["1.1", "", "1.200", 0, 0, 0], "NSTW - ĐTPT"),  # 1200 or 1,2? the officer must say
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
    assert "NSTW - ĐTPT" in excinfo.value.message_dict["file"][0]


def test_more_than_the_row_limit_is_a_file_error(phong_tho, drafter):
    before = state(phong_tho)
    header = ["Mã dự án", *HEADER_2021_2025[2:]]
    rows = [header, *[["7.2", 0, 1, 0, 0]] * (MAX_ROWS + 1)]
    with pytest.raises(ValidationError) as excinfo:
        import_lines_xlsx(actor=drafter, plan=phong_tho, fileobj=xlsx(rows))
    assert list(excinfo.value.message_dict) == ["file"]
    assert state(phong_tho) == before


def test_exactly_the_row_limit_imports(phong_tho):
    header = ["Mã dự án", *HEADER_2021_2025[2:]]
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
    (amount,) = LineAmount.objects.filter(line__plan=phong_tho, line__item__code="6.1")
    assert (amount.source.code, amount.amount) == ("central_recurrent", Decimal("7"))


# --- the 2026-2030 period: seven sources, and 2026's two catalogues ---------------------


@pytest.fixture
def province_2027(demo) -> Plan:
    """Two-tier Lai Châu's 2027 plan (period 2026-2030) with lines on four of its sources."""
    province, _communes = two_tier_units()
    plan = open_plan(2027, province, PLAN_TYPE_2027)
    put_lines(
        plan,
        [
            ("C1.02.01", "Đường giao thông", {"central_investment": "45500", "local_province": "4550.5"}),
            ("C1.06", "Chuyển đổi số", {"central_recurrent": "325.125", "integrated": "12"}),
            ("C2.01.04", "Trường dân tộc nội trú", {"credit": "70", "enterprise_community": "0.5"}),
        ],
    )
    return plan


@pytest.fixture
def commune_2027(demo) -> Plan:
    _province, communes = two_tier_units()
    return open_plan(2027, communes[0], PLAN_TYPE_2027)


def test_a_2027_template_has_one_column_per_source_of_the_period(province_2027):
    workbook = load_workbook(io.BytesIO(lines_template_xlsx(province_2027)))
    lines_sheet, catalogue = workbook.worksheets
    header = [cell.value for cell in lines_sheet[1]]
    assert header == [
        "Mã nội dung",
        "Nội dung",
        *SOURCE_HEADERS_2026_2030,
        "Cơ quan chủ trì",
        "Cơ quan phối hợp",
        "Đối tượng thụ hưởng",
    ]
    first = [cell.value for cell in lines_sheet[2]]
    assert first[:4] == ["C1.02.01", "Đường giao thông", 45500, 0]
    assert first[4] == pytest.approx(4550.5)
    listed = list(catalogue.iter_rows(min_row=2, values_only=True))
    assert {row[2] for row in listed} == {"2026-2030"}  # 2027 plans take the new catalogue only
    assert "C1.06" in [row[0] for row in listed] and "C1.02" not in [row[0] for row in listed]


def test_a_commune_template_lists_only_the_contents_a_commune_may_budget(commune_2027):
    catalogue = load_workbook(io.BytesIO(lines_template_xlsx(commune_2027))).worksheets[1]
    listed = [row[0] for row in catalogue.iter_rows(min_row=2, values_only=True)]
    province_only = CatalogueItem.objects.filter(period__code="2026-2030", budgetable=True, levels=["province"])
    assert province_only.exists()
    assert not {item.code for item in province_only} & set(listed)
    assert "C1.02.01" in listed


def test_a_2027_template_round_trips_to_the_same_lines(province_2027):
    before = saved_lines(province_2027)
    totals = selectors.plan_totals(province_2027)
    template = lines_template_xlsx(province_2027)
    assert parse_lines_xlsx(province_2027, io.BytesIO(template)) == before
    import_lines_xlsx(actor=officer(province_2027.unit), plan=province_2027, fileobj=io.BytesIO(template))
    assert saved_lines(province_2027) == before
    assert selectors.plan_totals(province_2027) == totals
    assert totals["total"] == Decimal("50458.125")


def test_a_2026_template_has_a_catalogue_column_and_both_catalogues_and_round_trips(demo):
    province, _communes = two_tier_units()
    plan = open_plan(2026, province)
    put_lines(
        plan,
        [
            ("2026-2030", "C1.02.01", "Đường giao thông", {"central_investment": "8000", "local_province": "800.5"}),
            ("2021-2025", "1.1", "Đường liên xã (chuyển tiếp)", {"central_investment": "5000"}),
        ],
    )
    workbook = load_workbook(io.BytesIO(lines_template_xlsx(plan)))
    lines_sheet, catalogue = workbook.worksheets
    header = [cell.value for cell in lines_sheet[1]]
    assert header[:3] == ["Mã nội dung", "Danh mục", "Nội dung"]
    assert [row[:2] for row in lines_sheet.iter_rows(min_row=2, values_only=True)] == [
        ("C1.02.01", "2026-2030"),
        ("1.1", "2021-2025"),
    ]
    periods = [row[2] for row in catalogue.iter_rows(min_row=2, values_only=True)]
    first_old = periods.index("2021-2025")
    assert set(periods[:first_old]) == {"2026-2030"} and set(periods[first_old:]) == {"2021-2025"}
    assert catalogue["C1"].value == "Danh mục"
    validations = {v.formula1 for v in lines_sheet.data_validations.dataValidation}
    assert '"2026-2030,2021-2025"' in validations
    before = saved_lines(plan)
    import_lines_xlsx(actor=officer(province), plan=plan, fileobj=io.BytesIO(lines_template_xlsx(plan)))
    assert saved_lines(plan) == before
    assert [line["catalogue"] for line in before] == ["2026-2030", "2021-2025"]


def test_a_2026_sheet_without_the_catalogue_column_reads_the_plans_own_catalogue(demo):
    province, _communes = two_tier_units()
    plan = open_plan(2026, province)
    upload = xlsx([["Mã nội dung", *SOURCE_HEADERS_2026_2030], ["C1.06", 0, 5, 0, 0, 0, 0, 0]])
    assert parse_lines_xlsx(plan, upload) == [
        {
            "item": "C1.06",
            "catalogue": "2026-2030",
            "content": "",
            "lead_agency": "",
            "coordinating_agencies": "",
            "beneficiaries": "",
            "amounts": {"central_recurrent": "5.000"},
        }
    ]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("NS xã", -5, "âm"),
        ("Vốn tín dụng", 1.2345, "3 chữ số thập phân"),
        ("Vốn tín dụng", "0,1234", "3 chữ số thập phân"),
        ("DN, cộng đồng", "1.200", "1.200,0"),  # 1200 or 1,2?
        ("Vốn lồng ghép", "mười", "không phải là số"),
        ("NSĐP", 12, "2021-2025"),  # a column of the 2021-2025 sources: a value there is not dropped unseen
        ("local", 12, "2021-2025"),
        ("Danh mục", "2021-2025", "chuyển tiếp"),  # continuing lines are over in 2027
    ],
)
def test_a_bad_2027_row_is_named_by_its_excel_row_and_the_column_the_officer_sees(
    province_2027, column, value, message
):
    before = state(province_2027)
    header = ["Mã nội dung", "Nội dung", *SOURCE_HEADERS_2026_2030]
    good = ["C1.02.01", "Đường", 100, 0, 0, 0, 0, 0, 0]
    header_row, bad_row = [*header, column], [*good, value]
    if column in header:
        header_row, bad_row = header, [value if h == column else v for h, v in zip(header, good, strict=True)]
    upload = xlsx([["Báo cáo năm 2027"], header_row, good + [None] * (len(header_row) - len(good)), bad_row])
    with pytest.raises(ValidationError) as excinfo:
        import_lines_xlsx(actor=officer(province_2027.unit), plan=province_2027, fileobj=upload)
    errors = row_errors(excinfo)
    assert list(errors) == [4]  # Excel row 4: the title, the header, a good row, then this one
    assert list(errors[4]) == [column]
    assert message in " ".join(errors[4][column])
    assert state(province_2027) == before


def test_a_zero_under_another_periods_source_is_no_amount(province_2027):
    header = ["Mã nội dung", "Danh mục", *SOURCE_HEADERS_2026_2030, "NSĐP"]
    (row,) = parse_lines_xlsx(province_2027, xlsx([header, ["C1.06", "2026-2030", 0, 5, 0, 0, 0, 0, 0, 0]]))
    assert row["amounts"] == {"central_recurrent": "5.000"}


def test_a_2027_sheet_missing_a_source_column_is_a_file_error_naming_it(province_2027):
    header = ["Mã nội dung", *[h for h in SOURCE_HEADERS_2026_2030 if h != "NS xã"]]
    with pytest.raises(ValidationError) as excinfo:
        parse_lines_xlsx(province_2027, xlsx([header, ["C1.06", 1, 0, 0, 0, 0, 0]]))
    assert "NS xã" in excinfo.value.message_dict["file"][0]


def test_a_source_given_twice_is_a_file_error_not_a_silent_choice(province_2027):
    header = ["Mã nội dung", *SOURCE_HEADERS_2026_2030, "local_commune"]
    with pytest.raises(ValidationError) as excinfo:
        parse_lines_xlsx(province_2027, xlsx([header, ["C1.06", 1, 0, 0, 5, 0, 0, 0, 7]]))
    message = excinfo.value.message_dict["file"][0]
    assert "NS xã" in message and "local_commune" in message


def test_an_old_template_imported_into_a_2027_plan_is_refused_with_the_missing_sources(province_2027, phong_tho):
    """A 2023 template (four sources) cannot fill a 2027 plan: its columns are not the period's."""
    with pytest.raises(ValidationError) as excinfo:
        parse_lines_xlsx(province_2027, io.BytesIO(lines_template_xlsx(phong_tho)))
    message = excinfo.value.message_dict["file"][0]
    assert "NS tỉnh" in message and "DN, cộng đồng" in message


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
