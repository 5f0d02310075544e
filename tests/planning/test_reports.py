"""The monitoring report per component content: rows from the period's catalogue, columns from
its sources, figures equal to the roll-up to the last digit."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from planning import selectors
from planning.models import CatalogueItem, Plan
from planning.reports import FIRST_DATA_ROW, HEADER_ROW, KEY_ROW, component_report_xlsx
from tests.periods import SOURCES_2026_2030
from tests.planning.test_exports import build_province_2026, build_province_2027, number, subtree_lines

COMPONENT_CONTENTS = [f"C1.{n:02}" for n in range(1, 11)] + [f"C2.{n:02}" for n in range(1, 6)]


@pytest.fixture
def province_2027(demo) -> Plan:
    """Two-tier Lai Châu's 2027 plan, two commune plans below it (see the exports' tests)."""
    return build_province_2027()


@pytest.fixture
def province_2026(demo) -> Plan:
    return build_province_2026()


def read_sheet(sheet) -> tuple[list[str], list[dict[str, object]]]:
    """The machine keys of the columns and every data row as {key: value}."""
    keys = [cell.value for cell in sheet[KEY_ROW]]
    rows = []
    for values in sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True):
        row = dict(zip(keys, values, strict=True))
        rows.append({**row, **{key: row[key] or "" for key in ("code", "title", "catalogue")}})
    return keys, rows


def report(plan: Plan):
    return load_workbook(io.BytesIO(component_report_xlsx(plan)))


def roll_up_by_component_content(plan: Plan) -> dict[str, dict[str, Decimal]]:
    """Sum every line of the plan and the plans below it under its component content (the
    ancestor right below the component), in Python: independent of the SQL roll-up."""
    sources = selectors.plan_sources(plan)
    items = {i.pk: i for i in CatalogueItem.objects.filter(period=plan.cycle.period)}
    out: dict[str, dict[str, Decimal]] = {}
    for line in subtree_lines(plan):
        item = line.item
        while items[item.parent_id].parent_id is not None:
            item = items[item.parent_id]
        sums = out.setdefault(item.code, selectors.zero_totals(sources))
        for key, value in selectors.line_amounts(line, sources).items():
            sums[key] += value
    return out


def test_the_component_report_of_a_2027_province_equals_the_roll_up_per_content_and_source(province_2027):
    workbook = report(province_2027)
    keys, rows = read_sheet(workbook.worksheets[0])
    assert keys == ["code", "title", "catalogue", "total", *SOURCES_2026_2030]
    by_code = {row["code"] or row["title"]: row for row in rows}
    expected = roll_up_by_component_content(province_2027)
    sums = selectors.plan_totals(province_2027)
    assert set(expected) >= {"C1.02", "C1.03", "C1.04", "C1.06", "C2.01", "C2.02", "C2.05"}
    for code in COMPONENT_CONTENTS:
        plan_sums = sums["by_group"].get(code) or sums["by_item"].get(code)
        want = expected.get(code) or selectors.zero_totals(selectors.plan_sources(province_2027))
        if plan_sums is not None:
            assert plan_sums == want, code  # the SQL roll-up and the Python sum agree
        for key in ("total", *SOURCES_2026_2030):
            assert number(by_code[code][key]) == want[key], (code, key)
    for component in ("C1", "C2"):
        for key in ("total", *SOURCES_2026_2030):
            assert number(by_code[component][key]) == sums["by_project"][component][key], (component, key)
    grand = by_code["Tổng cộng"]
    for key in ("total", *SOURCES_2026_2030):
        assert number(grand[key]) == sums[key] == sum(e[key] for e in expected.values()), key
    assert number(grand["total"]) == Decimal("152588.75")
    assert number(by_code["C1.02"]["local_commune"]) == Decimal("270.75")  # one province line, one commune's
    assert number(by_code["C1.02"]["credit"]) == Decimal("0.125")


def test_the_report_has_every_component_content_of_the_period_in_order_even_without_money(province_2027):
    _keys, rows = read_sheet(report(province_2027).worksheets[0])
    codes = [row["code"] for row in rows]
    assert codes == ["", "C1", *COMPONENT_CONTENTS[:10], "C2", *COMPONENT_CONTENTS[10:]]
    by_code = {row["code"]: row for row in rows}
    assert by_code["C1.09"]["total"] == 0  # no money: the row is there, with zeros
    assert {row["catalogue"] for row in rows[1:]} == {"2026-2030"}
    assert by_code["C1.02"]["title"] == "Phát triển hạ tầng kinh tế - xã hội nông thôn"


def test_the_report_has_a_sheet_for_the_province_and_one_per_commune_below_it(province_2027):
    workbook = report(province_2027)
    children = list(province_2027.children.order_by("unit__code"))
    assert len(workbook.worksheets) == 1 + len(children) == 3
    assert workbook.worksheets[0].title == "Tỉnh Lai Châu"
    assert "cấp dưới" in workbook.worksheets[0]["A3"].value
    for sheet, child in zip(workbook.worksheets[1:], children, strict=True):
        _keys, rows = read_sheet(sheet)
        sums = selectors.plan_totals(child)
        assert number(rows[0]["total"]) == sums["total"] > 0
        for row in rows[1:]:
            want = sums["by_group"].get(row["code"]) or sums["by_item"].get(row["code"])
            for key in ("total", *SOURCES_2026_2030):
                assert number(row[key]) == (want[key] if want else 0), (child.unit.code, row["code"], key)


def test_the_report_headers_are_the_sources_short_labels(province_2027):
    sheet = report(province_2027).worksheets[0]
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    assert headers == [
        "Mã",
        "Nội dung",
        "Danh mục",
        "Tổng cộng",
        "NSTW - ĐTPT",
        "NSTW - SN",
        "NS tỉnh",
        "NS xã",
        "Vốn lồng ghép",
        "Vốn tín dụng",
        "DN, cộng đồng",
    ]
    assert "hợp phần, nội dung thành phần" in sheet["A3"].value
    formulas = [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert formulas == []


def test_a_2021_2025_report_has_the_projects_and_sub_projects_and_the_district_below(lai_chau, phong_tho):
    workbook = report(lai_chau)
    assert [sheet.title for sheet in workbook.worksheets] == ["Tỉnh Lai Châu", "Huyện Phong Thổ"]
    keys, rows = read_sheet(workbook.worksheets[0])
    assert keys == ["code", "title", "catalogue", "total", "central_investment", "central_recurrent", "local", "other"]
    catalogue = CatalogueItem.objects.filter(period=lai_chau.cycle.period).order_by("position")
    assert [row["code"] for row in rows] == ["", *[item.code for item in catalogue]]
    by_code = {row["code"]: row for row in rows}
    assert by_code[""]["total"] == 162756
    assert by_code["1"]["total"] == 127820
    assert (by_code["1.2"]["central_investment"], by_code["1.2"]["central_recurrent"]) == (70700, 7070)
    assert by_code["5"]["other"] == 1200  # a project without sub-projects: its own leaf
    assert by_code["6.1"]["total"] == 0
    assert "dự án, tiểu dự án" in workbook.worksheets[0]["A3"].value


def test_a_2026_report_has_a_section_per_catalogue_the_continuing_one_after(province_2026):
    _keys, rows = read_sheet(report(province_2026).worksheets[0])
    sections = [(row["title"], row["catalogue"]) for row in rows if not row["code"]][1:]
    assert sections == [
        ("Nội dung giai đoạn 2026-2030", "2026-2030"),
        ("Nhiệm vụ chuyển tiếp giai đoạn 2021-2025", "2021-2025"),
    ]
    catalogues = [row["catalogue"] for row in rows if row["code"]]
    first_old = catalogues.index("2021-2025")
    assert set(catalogues[:first_old]) == {"2026-2030"} and set(catalogues[first_old:]) == {"2021-2025"}
    by_title = {row["title"]: row for row in rows if not row["code"]}
    assert number(by_title["Nội dung giai đoạn 2026-2030"]["total"]) == Decimal("9400.5")
    assert number(by_title["Nhiệm vụ chuyển tiếp giai đoạn 2021-2025"]["total"]) == Decimal("6230")
    assert number(by_title["Tổng cộng"]["total"]) == selectors.plan_totals(province_2026)["total"]


@pytest.mark.parametrize("year", [2027])
def test_a_plan_without_lines_reports_zeros_in_the_same_shape(demo, year):
    from tests.planning.test_exports import open_plan, two_tier_units

    province, _communes = two_tier_units()
    plan = open_plan(year, province, plan_type="monitoring_annual")
    workbook = report(plan)
    _keys, rows = read_sheet(workbook.worksheets[0])
    assert len(rows) == 1 + 2 + 15
    assert all(row[key] == 0 for row in rows for key in ("total", *SOURCES_2026_2030))
    assert "Báo cáo giám sát hằng năm năm 2027" in workbook.worksheets[0]["A1"].value


def test_the_report_reads_the_catalogue_once_and_a_few_queries_per_sheet(province_2027):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sheets = 1 + province_2027.children.count()
    with CaptureQueriesContext(connection) as captured:
        component_report_xlsx(province_2027)
    # The sources and catalogues once for the workbook; the roll-up (plan_totals) per sheet.
    assert len(captured) <= 6 + 4 * sheets
