"""The .xlsx and .docx exports read back with the figures of seed 002 (Phong Thổ 2023), and with
the seven sources of a 2027 plan (period 2026-2030) and the two catalogues of a 2026 plan."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from directory.models import AdministrativeUnit, Structure, User
from planning import selectors, services
from planning.exports import (
    BELOW_LABEL,
    CELL_PADDING_CM,
    LINE_MARK,
    OWN_SHARE_LABEL,
    budget_xlsx,
    cell_width_needed_cm,
    plan_docx,
    signature_block,
    text_width_cm,
    vn_number,
)
from planning.models import BudgetLine, FundingSource, LineAmount, Plan, PlanType
from tests.periods import SOURCES_2026_2030
from tests.planning.conftest import DISTRICT_DRAFTER
from tests.planning.two_tier import officer, open_plan, province, staffed_communes

PROVINCE_CHAIR = "t3-p12-ubnd-head"
PROVINCE_VICE_CHAIR = "t3-p12-ubnd-head-deputy"
DISTRICT_CHAIR = "t3-d109-ubnd-head"


# --- helpers: read the files back the way an officer's tools would -------------------------


def is_item_row(number: object, label: object) -> bool:
    """A row of the catalogue (or the grand total, a section), not one of the plan's own lines
    under its item nor the own / below split under the grand total."""
    return number != LINE_MARK and label not in (OWN_SHARE_LABEL, BELOW_LABEL)


def budget_table(content: bytes) -> dict[str, dict[str, object]]:
    """The budget sheet as {STT or label: {column header: value}}, found by its header labels."""
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    top = next(i for i, row in enumerate(rows) if row[0] == "STT")
    # A group of sources spans its columns: their sub-headers sit on the second header row.
    headers = [second or first for first, second in zip(rows[top], rows[top + 1], strict=True)]
    headers[headers.index("Tổng")] = "NSTW"
    table = {}
    for row in rows[top + 3 :]:
        if is_item_row(row[0], row[1]):
            table[row[0] or row[1]] = dict(zip(headers, row, strict=True))
    return table


def budget_order(content: bytes) -> list[str]:
    """The STT (or label) of every row of the budget sheet, top to bottom."""
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    top = next(i for i, row in enumerate(rows) if row[0] == "STT")
    return [row[0] or row[1] for row in rows[top + 3 :] if is_item_row(row[0], row[1])]


def docx_texts(content: bytes) -> list[str]:
    """Every paragraph of the document, in order, table cells included."""
    document = Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts.extend(p.text for p in cell.paragraphs)
    return texts


def closing_table(document):
    """The borderless table of "Nơi nhận:" and the signature block."""
    return next(t for t in document.tables if t.rows[0].cells[0].text.startswith("Nơi nhận:"))


def budget_docx_table(document):
    """The budget table (the indicators' table has an STT column too)."""
    return next(t for t in document.tables if t.rows[0].cells[1].text.startswith("Nội dung"))


def docx_budget(content: bytes):
    """The budget table of the document, and its rows as {STT or label: {column header: text}}."""
    document = Document(io.BytesIO(content))
    table = budget_docx_table(document)
    # Merged cells repeat in python-docx: the second header row names every column.
    headers = [cell.text for cell in table.rows[1].cells]
    headers[headers.index("Tổng")] = "NSTW"
    rows = {}
    for row in table.rows[3:]:
        texts = [cell.text for cell in row.cells]
        if is_item_row(texts[0], texts[1]):
            rows[texts[0] or texts[1]] = dict(zip(headers, texts, strict=True))
    return document, table, rows


def number(value: object) -> Decimal:
    """A cell's number read back exactly (floats as their shortest repr)."""
    return Decimal(str(value))


# --- helpers: plans of the 2026-2030 period ------------------------------------------------


def two_tier_units() -> tuple[AdministrativeUnit, list[AdministrativeUnit]]:
    """Two-tier Lai Châu and two of its staffed communes."""
    return province(), staffed_communes(2)


def put_lines(plan: Plan, rows: list[tuple]) -> None:
    """Rows of (item, content, {source code: amount}) or (catalogue, item, content, amounts)."""
    services.plan_lines_replace(
        actor=officer(plan.unit),
        plan=plan,
        rows=[
            {"item": r[0], "content": r[1], "amounts": r[2]}
            if len(r) == 3
            else {"catalogue": r[0], "item": r[1], "content": r[2], "amounts": r[3]}
            for r in rows
        ],
    )


# Every one of the seven sources carries money somewhere, with thousandths and hundredths.
PROVINCE_2027 = [
    (
        "C1.02.01",
        "Đường giao thông liên xã",
        {"central_investment": "45500", "local_province": "4550.5", "integrated": "1200"},
    ),
    (
        "C1.02.08",
        "Cấp nước sinh hoạt tập trung",
        {
            "central_investment": "12000",
            "central_recurrent": "350.25",
            "local_commune": "120",
            "enterprise_community": "80.125",
        },
    ),
    ("C1.04.02", "Giáo dục nghề nghiệp vùng khó khăn", {"central_recurrent": "1748", "credit": "2500"}),
    ("C1.06", "Chuyển đổi số nông thôn", {"central_recurrent": "325.5", "local_province": "50"}),
    ("C2.01.04", "Trường phổ thông dân tộc nội trú", {"central_investment": "70700", "local_province": "7070"}),
    ("C2.02.03", "Vùng trồng dược liệu", {"central_recurrent": "1128", "credit": "900", "enterprise_community": "450"}),
]
COMMUNE_2027 = [
    [
        ("C1.02.01", "Đường trục thôn", {"central_investment": "3000", "local_commune": "150.75"}),
        ("C1.03.03", "Sản phẩm OCOP", {"central_recurrent": "210", "enterprise_community": "95"}),
    ],
    [
        ("C2.05.01", "Tuyên truyền pháp luật", {"central_recurrent": "60.5"}),
        ("C1.02.01", "Bê tông hóa đường nội đồng", {"integrated": "400", "credit": "0.125"}),
    ],
]


# The demo's 2027 annual plans are already past their drafts (the province's at the People's
# Council), so the 2027 plans written here are the year's annual monitoring reports: same period,
# same seven sources, same roll-up, and the plans a component report is made of.
PLAN_TYPE_2027 = PlanType.MONITORING_ANNUAL


def build_province_2027() -> Plan:
    """Two-tier Lai Châu's 2027 plan with lines of its own and two communes' plans below it."""
    province, communes = two_tier_units()
    plan = open_plan(2027, province, PLAN_TYPE_2027)
    put_lines(plan, PROVINCE_2027)
    for commune, rows in zip(communes, COMMUNE_2027, strict=True):
        child = open_plan(2027, commune, PLAN_TYPE_2027)
        assert child.parent_id == plan.pk
        put_lines(child, rows)
    return plan


@pytest.fixture
def province_2027(demo) -> Plan:
    return build_province_2027()


@pytest.fixture
def demo_province_2027(demo) -> Plan:
    """The demo's own 2027 annual plan of Lai Châu (figures of another author: compared, never assumed)."""
    plan = (
        Plan.objects.select_related("cycle__period", "unit")
        .filter(cycle__year=2027, unit__structure=Structure.TWO_TIER, unit__code="12", plan_type=PlanType.ANNUAL)
        .first()
    )
    assert plan is not None, "the demo loads the 2027 annual cycle of two-tier Lai Châu"
    return plan


def build_province_2026() -> Plan:
    """Lai Châu's 2026 plan: 2026-2030 contents and continuing 2021-2025 tasks side by side."""
    province, _communes = two_tier_units()
    plan = open_plan(2026, province)
    put_lines(
        plan,
        [
            ("2021-2025", "1.1", "Hoàn thành đường liên xã (chuyển tiếp)", {"central_investment": "5000"}),
            ("2026-2030", "C1.02.01", "Đường giao thông", {"central_investment": "8000", "local_province": "800.5"}),
            ("2021-2025", "5", "Nhà ở hộ nghèo (chuyển tiếp)", {"central_recurrent": "1200", "local_commune": "30"}),
            ("2026-2030", "C2.02.03", "Dược liệu", {"credit": "600"}),
        ],
    )
    return plan


@pytest.fixture
def province_2026(demo) -> Plan:
    return build_province_2026()


def subtree_lines(plan: Plan):
    """The lines of the plan and of every plan below it, found through ``Plan.children``."""
    plans, level = [plan.pk], [plan.pk]
    while level:
        level = list(Plan.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        plans += level
    return BudgetLine.objects.filter(plan_id__in=plans).select_related("item").prefetch_related("amounts__source")


def subtree_sums(plan: Plan) -> dict[str, Decimal]:
    """The plan's money added up line by line in Python: an independent check of the SQL."""
    sources = selectors.plan_sources(plan)
    sums = selectors.zero_totals(sources)
    for line in subtree_lines(plan):
        for key, value in selectors.line_amounts(line, sources).items():
            sums[key] += value
    return sums


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("162756.000"), "162.756"),
        (Decimal("38.500"), "38,5"),
        (Decimal("1200"), "1.200"),
        (Decimal("0.500"), "0,5"),
        (Decimal("1234567.891"), "1.234.567,891"),
        (Decimal("221206.750"), "221.206,75"),
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
    assert (total["NSTW - ĐTPT"], total["NSTW - SN"]) == (116200, 44844)
    assert total["Ngân sách địa phương"] == 512
    assert total["Nguồn huy động khác"] == 1200
    assert table["1.2"]["Tổng cộng"] == 77770
    assert (table["1.2"]["NSTW - ĐTPT"], table["1.2"]["NSTW - SN"]) == (70700, 7070)


def test_budget_xlsx_headers_are_the_periods_sources_with_the_column_numbers(phong_tho):
    sheet = load_workbook(io.BytesIO(budget_xlsx(phong_tho))).active
    rows = list(sheet.iter_rows(values_only=True))
    top = next(i for i, row in enumerate(rows) if row[0] == "STT")
    assert rows[top][:4] == ("STT", "Nội dung (dự án, tiểu dự án)", "Tổng cộng", "Ngân sách trung ương (NSTW)")
    assert rows[top + 2] == ("A", "B", "1=2+5+6", "2=3+4", "3", "4", "5", "6")


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
    sources = selectors.plan_sources(phong_tho)
    headers = {"central_investment": "NSTW - ĐTPT", "central_recurrent": "NSTW - SN"}
    headers |= {"local": "Ngân sách địa phương", "other": "Nguồn huy động khác"}
    for line in selectors.plan_lines(phong_tho):
        row, amounts = table[line.item.code], selectors.line_amounts(line, sources)
        assert Decimal(row["Tổng cộng"]) == line.total, line.item.code
        for code, header in headers.items():
            assert Decimal(row[header]) == amounts[code], (line.item.code, code)


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
    assert table["5"]["Nguồn huy động khác"] == 1200


def test_budget_xlsx_keeps_thousandths(phong_tho):
    drafter = User.objects.get(username=DISTRICT_DRAFTER)
    line = {"item": "7.2", "amounts": {"central_recurrent": "0.125", "local": "1200.5"}}
    services.plan_lines_replace(actor=drafter, plan=phong_tho, rows=[line])
    sheet = load_workbook(io.BytesIO(budget_xlsx(phong_tho))).active
    total_row = next(row for row in sheet.iter_rows() if row[1].value == "Tổng cộng")
    assert total_row[2].value == pytest.approx(1200.625)
    assert number(total_row[2].value) == Decimal("1200.625")
    assert total_row[2].number_format.startswith("#,##0.###")


# --- the 2026-2030 period: seven sources, components and their contents -------------------

HEADERS_2026_2030 = SOURCES_2026_2030


def test_a_2027_budget_xlsx_has_a_column_per_source_of_the_period(province_2027):
    sheet = load_workbook(io.BytesIO(budget_xlsx(province_2027))).active
    rows = list(sheet.iter_rows(values_only=True))
    top = next(i for i, row in enumerate(rows) if row[0] == "STT")
    assert rows[top] == (
        "STT",
        "Nội dung (hợp phần, nội dung thành phần, nội dung)",
        "Tổng cộng",
        "Ngân sách trung ương (NSTW)",
        None,
        None,
        "Ngân sách địa phương (NSĐP)",
        None,
        "Nguồn vốn khác",
        None,
        None,
    )
    assert rows[top + 1][3:] == ("Tổng", *HEADERS_2026_2030.values())
    assert rows[top + 2] == ("A", "B", "1=2+5+6+7+8+9", "2=3+4", "3", "4", "5", "6", "7", "8", "9")
    assert "Chương trình MTQG xây dựng nông thôn mới, giảm nghèo bền vững" in sheet["A2"].value
    assert sheet["A2"].value.endswith("năm 2027")


def test_a_2027_budget_xlsx_equals_plan_totals_for_every_source_to_the_last_digit(province_2027):
    sums = selectors.plan_totals(province_2027)
    assert sums["total"] == subtree_sums(province_2027)["total"] == Decimal("152588.750")
    assert sums["own"]["total"] < sums["total"]  # the communes' lines are in
    table = budget_table(budget_xlsx(province_2027))
    expected = {"Tổng cộng": sums}
    expected |= sums["by_item"] | sums["by_group"]
    assert set(expected) == set(table)  # one row per item with money, and nothing else
    for key, amounts in expected.items():
        row = table[key]
        assert number(row["Tổng cộng"]) == amounts["total"], key
        assert number(row["NSTW"]) == amounts["central"], key
        for code, header in HEADERS_2026_2030.items():
            assert number(row[header]) == amounts[code], (key, code)
    for code in HEADERS_2026_2030:  # every source carries money: none of this is vacuous
        assert sums[code] > 0, code


def test_a_2027_budget_xlsx_groups_contents_under_their_component_content_and_component(province_2027):
    order = budget_order(budget_xlsx(province_2027))
    assert order == [
        "Tổng cộng",
        "C1",
        "C1.02",
        "C1.02.01",
        "C1.02.08",
        "C1.03",
        "C1.03.03",
        "C1.04",
        "C1.04.02",
        "C1.06",  # a component content without numbered contents takes money itself
        "C2",
        "C2.01",
        "C2.01.04",
        "C2.02",
        "C2.02.03",
        "C2.05",
        "C2.05.01",
    ]
    sheet = load_workbook(io.BytesIO(budget_xlsx(province_2027))).active
    bold = {row[0].value: row[0].font.bold for row in sheet.iter_rows() if row[0].value}
    assert bold["C1"] and bold["C1.02"] and not bold["C1.02.01"]
    table = budget_table(budget_xlsx(province_2027))
    assert table["C1.02"]["Tổng cộng"] == table["C1.02.01"]["Tổng cộng"] + table["C1.02.08"]["Tổng cộng"]


# --- 2026: two catalogues ----------------------------------------------------------------


def test_a_2026_budget_xlsx_groups_lines_by_catalogue_the_plans_own_first(province_2026):
    content = budget_xlsx(province_2026)
    assert budget_order(content) == [
        "Tổng cộng",
        "I",
        "C1",
        "C1.02",
        "C1.02.01",
        "C2",
        "C2.02",
        "C2.02.03",
        "II",
        "1",
        "1.1",
        "5",
    ]
    table = budget_table(content)
    assert table["I"]["Nội dung (hợp phần, nội dung thành phần, nội dung, dự án, tiểu dự án)"] == (
        "Nội dung giai đoạn 2026-2030"
    )
    assert table["II"]["Nội dung (hợp phần, nội dung thành phần, nội dung, dự án, tiểu dự án)"] == (
        "Nhiệm vụ chuyển tiếp giai đoạn 2021-2025"
    )
    sources = selectors.plan_sources(province_2026)
    per_catalogue: dict[str, dict[str, Decimal]] = {}
    for line in selectors.plan_lines(province_2026):
        sums = per_catalogue.setdefault(line.item.period.code, selectors.zero_totals(sources))
        for key, value in selectors.line_amounts(line, sources).items():
            sums[key] += value
    for section, catalogue in (("I", "2026-2030"), ("II", "2021-2025")):
        assert number(table[section]["Tổng cộng"]) == per_catalogue[catalogue]["total"]
        for code, header in HEADERS_2026_2030.items():
            assert number(table[section][header]) == per_catalogue[catalogue][code], (section, code)
    assert (
        number(table["Tổng cộng"]["Tổng cộng"]) == selectors.plan_totals(province_2026)["total"] == Decimal("15630.5")
    )
    assert table["I"]["Tổng cộng"] + table["II"]["Tổng cộng"] == table["Tổng cộng"]["Tổng cộng"]


def test_a_2027_plan_with_one_catalogue_has_no_catalogue_sections(province_2027):
    order = budget_order(budget_xlsx(province_2027))
    assert "I" not in order and "II" not in order


def test_a_2026_plan_docx_prints_both_catalogues_in_the_same_order(province_2026):
    content = plan_docx(province_2026)
    _document, table, rows = docx_budget(content)
    order = [c[0].text or c[1].text for c in (r.cells for r in table.rows[3:]) if is_item_row(c[0].text, c[1].text)]
    assert order == budget_order(budget_xlsx(province_2026))
    assert rows["II"]["Tổng cộng"] == "6.230"
    assert rows["I"]["Tổng cộng"] == "9.400,5"
    joined = "\n".join(docx_texts(content))
    assert "nội dung giai đoạn 2026-2030 9.400,5 triệu đồng; nhiệm vụ chuyển tiếp giai đoạn 2021-2025 6.230" in joined


# --- docx ---------------------------------------------------------------------------------


def test_plan_docx_has_the_decree_30_header_and_the_seed_total(phong_tho):
    texts = docx_texts(plan_docx(phong_tho))
    joined = "\n".join(texts)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "KẾ HOẠCH", "Nơi nhận:"):
        assert expected in texts, expected
    assert "Số:      /KH-UBND" in texts  # a draft leaves room for the number
    # A draft's date is written by hand: dotted, and never in the year it happens to be printed.
    assert "Phong Thổ, ngày …… tháng …… năm ……" in texts
    assert not re.search(r"^Phong Thổ, .*\d{4}$", joined, re.MULTILINE)
    assert "Thực hiện Chương trình mục tiêu quốc gia giảm nghèo bền vững năm 2023" in texts
    assert "162.756 triệu đồng" in joined
    assert "NSTW 161.044 triệu đồng (vốn đầu tư 116.200 triệu đồng, vốn sự nghiệp 44.844 triệu đồng)" in joined
    assert "NSĐP 512 triệu đồng; nguồn huy động khác 1.200 triệu đồng" in joined
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


def test_plan_docx_of_phong_tho_has_the_seed_figures_in_the_budget_table(phong_tho):
    _document, _table, rows = docx_budget(plan_docx(phong_tho))
    assert rows["Tổng cộng"]["Tổng cộng"] == "162.756"
    assert (rows["Tổng cộng"]["NSTW"], rows["Tổng cộng"]["NSTW - ĐTPT"]) == ("161.044", "116.200")
    assert rows["1.2"]["NSTW - SN"] == "7.070"
    assert rows["1.2"]["Ngân sách địa phương"] == "-"  # nothing, printed as in the seed's tables


def test_a_2027_plan_docx_equals_plan_totals_for_every_source(province_2027):
    content = plan_docx(province_2027)
    _document, _table, rows = docx_budget(content)
    sums = selectors.plan_totals(province_2027)
    expected = {"Tổng cộng": sums} | sums["by_item"] | sums["by_group"]
    assert set(rows) == set(expected)
    for key, amounts in expected.items():
        for code, header in {"total": "Tổng cộng", "central": "NSTW", **HEADERS_2026_2030}.items():
            value = amounts[code]
            assert rows[key][header] == (vn_number(value) if value else "-"), (key, code)
    assert rows["Tổng cộng"]["Tổng cộng"] == "152.588,75"
    assert rows["Tổng cộng"]["DN, cộng đồng"] == "625,125"
    joined = "\n".join(docx_texts(content))
    assert "năm 2027 là 152.588,75 triệu đồng" in joined
    central = (
        f"NSTW {vn_number(sums['central'])} triệu đồng (vốn đầu tư phát triển "
        f"{vn_number(sums['central_investment'])} triệu đồng, kinh phí thường xuyên (vốn sự nghiệp) "
        f"{vn_number(sums['central_recurrent'])} triệu đồng)"
    )
    assert central in joined
    assert f"ngân sách cấp xã {vn_number(sums['local_commune'])} triệu đồng" in joined
    assert f"vốn tín dụng {vn_number(sums['credit'])} triệu đồng" in joined


def test_the_demos_2027_annual_plan_exports_its_roll_up_for_every_source(demo_province_2027):
    """The same checks on a plan written by the demo, not by these tests."""
    sums = selectors.plan_totals(demo_province_2027)
    assert sums["total"] == subtree_sums(demo_province_2027)["total"] > 0
    table = budget_table(budget_xlsx(demo_province_2027))
    content = plan_docx(demo_province_2027)
    _document, _table, rows = docx_budget(content)
    expected = {"Tổng cộng": sums} | sums["by_item"] | sums["by_group"]
    assert set(table) == set(rows) == set(expected)
    for key, amounts in expected.items():
        for code, header in {"total": "Tổng cộng", "central": "NSTW", **HEADERS_2026_2030}.items():
            assert number(table[key][header]) == amounts[code], (key, code)
            assert rows[key][header] == (vn_number(amounts[code]) if amounts[code] else "-"), (key, code)
    texts = docx_texts(content)
    assert (
        "Thực hiện Chương trình mục tiêu quốc gia xây dựng nông thôn mới, giảm nghèo bền vững và phát triển "
        "kinh tế - xã hội vùng đồng bào dân tộc thiểu số và miền núi năm 2027"
    ) in texts


def test_the_budget_table_of_seven_sources_fits_an_a4_landscape_page_without_wrapping_amounts(province_2027):
    document, table, _rows = docx_budget(plan_docx(province_2027))
    text, annex = document.sections[0], document.sections[-1]
    assert text.page_width < text.page_height  # the plan's text is portrait…
    assert (round(annex.page_width.cm, 1), round(annex.page_height.cm, 1)) == (29.7, 21.0)  # …its annex landscape
    usable = (annex.page_width - annex.left_margin - annex.right_margin) / 360000
    widths = [int(col.get(qn("w:w"))) / 567 for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert len(widths) == 2 + 2 + 7  # STT, content, total, NSTW subtotal and the seven sources
    assert sum(widths) <= usable + 0.01
    assert widths[1] >= 4.5  # the content column keeps room to read
    for row in table.rows[3:]:
        for cell, width in zip(row.cells[2:], widths[2:], strict=True):
            assert cell._tc.tcPr.find(qn("w:noWrap")) is not None
            (paragraph,) = cell.paragraphs
            size = paragraph.runs[0].font.size.pt
            assert 7 <= size <= 10
            assert cell_width_needed_cm(cell.text, size) <= width + 1e-6, cell.text
            assert text_width_cm(cell.text, size) + 2 * CELL_PADDING_CM < width, cell.text
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # headers repeat on each page


def test_the_widest_amounts_shrink_the_font_rather_than_wrap(demo):
    """Control for the fit: amounts near the largest allowed shrink the table's font."""
    from planning.exports import BudgetRow, budget_columns, budget_layout

    sources = list(FundingSource.objects.filter(period__code="2026-2030").order_by("position"))
    columns = budget_columns(sources)
    wide = {c.key: Decimal("999999999.999") for c in columns}
    small = {c.key: Decimal("1200") for c in columns}
    roomy = budget_layout([BudgetRow("", "Tổng cộng", 0, small)], columns, 25.7)
    tight = budget_layout([BudgetRow("C1.02.01", "Tổng cộng", 0, wide)], columns, 25.7)
    assert roomy.size == 10 and tight.size < 10
    assert sum(tight.widths) == pytest.approx(25.7)
    assert all(cell_width_needed_cm("999.999.999,999", tight.size) <= w + 1e-6 for w in tight.widths[2:])


def test_the_budget_table_is_a_landscape_annex_after_the_signature(phong_tho):
    content = plan_docx(phong_tho)
    document = Document(io.BytesIO(content))
    body = document.element.body
    elements = list(body.iterchildren())
    breaks = [e for e in elements if e.tag == qn("w:p") and e.find(f".//{qn('w:sectPr')}") is not None]
    assert len(breaks) == 1  # the portrait plan | the landscape annex
    budget, closing = budget_docx_table(document)._tbl, closing_table(document)._tbl
    assert elements.index(closing) < elements.index(breaks[0]) < elements.index(budget)
    assert body.find(qn("w:sectPr")).find(qn("w:pgSz")).get(qn("w:orient")) == "landscape"
    texts = docx_texts(content)
    annex = texts.index("PHỤ LỤC")
    assert texts[annex + 1] == "KẾ HOẠCH VỐN THỰC HIỆN CHƯƠNG TRÌNH MTQG GIẢM NGHÈO BỀN VỮNG NĂM 2023"
    assert texts[annex + 2] == "(Kèm theo Kế hoạch số      /KH-UBND)"
    assert any("Phụ lục kèm theo" in text for text in texts[:annex])  # section III refers to it


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
    closing = closing_table(document).rows[0].cells[1]
    lines = [p.text for p in closing.paragraphs if p.text]
    assert lines == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", deputy.full_name]
    assert "Nơi nhận:" in closing_table(document).rows[0].cells[0].paragraphs[0].text
    # The plan's text ends with the block: only the annex (the budget table) follows it.
    assert [t._tbl for t in document.tables].index(closing_table(document)._tbl) == len(document.tables) - 2


def test_plan_docx_without_a_signer_prints_no_name(phong_tho):
    document = Document(io.BytesIO(plan_docx(phong_tho)))
    lines = [p.text for p in closing_table(document).rows[0].cells[1].paragraphs if p.text]
    assert lines == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]


def test_totals_in_the_documents_come_from_the_selectors(phong_tho):
    """Control: the figures asserted above are the plan's, not constants of the exporter."""
    sums = selectors.plan_totals(phong_tho)
    assert sums["total"] == Decimal("162756")
    changed = LineAmount.objects.filter(line__plan=phong_tho, line__item__code="5", source__code="other")
    assert changed.update(amount=Decimal("1300")) == 1
    assert budget_table(budget_xlsx(phong_tho))["Tổng cộng"]["Tổng cộng"] == 162856
    assert "162.856 triệu đồng" in "\n".join(docx_texts(plan_docx(phong_tho)))
    assert BudgetLine.objects.filter(plan=phong_tho).count() == 12
