"""Monitoring reports of a period's money per component content, as .xlsx.

From 2026 the programme's figures go to the national programme database of the Ministry of
Finance (Decision 25/2025/QĐ-TTg), which asks for them per component content. Its forms have no
public specification, so the report is shaped by data alone: its rows are the catalogue's items
above the numbered contents (2026-2030: the components C1, C2 and their component contents
C1.01 … C2.05; 2021-2025 and 2016-2020: the projects and sub-projects), its columns the funding
sources of the plan's period. A new period, or a new source, changes the report without code.

Every figure is a sum of ``selectors.plan_totals`` (``by_group`` for an item with children,
``by_item`` for a leaf), the same figures as the plan's pages, exports and API.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from decimal import Decimal

from django.utils import translation
from django.utils.text import capfirst
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from config.spreadsheet import put
from directory.services import unit_label
from planning import selectors
from planning.exports import (
    BOX,
    GRAND_TOTAL_LABEL,
    UNIT_NOTE,
    CatalogueSection,
    catalogue_sections,
    excel_amount,
    local_labels,
    plan_catalogue_items,
    source_header,
    xlsx_font,
)
from planning.models import CatalogueItem, FundingSource, Plan

# The catalogue levels a report has rows for: everything above the numbered contents.
REPORT_KINDS = frozenset(
    {
        CatalogueItem.Kind.PROJECT,
        CatalogueItem.Kind.SUB_PROJECT,
        CatalogueItem.Kind.COMPONENT,
        CatalogueItem.Kind.COMPONENT_CONTENT,
    }
)
HEADER_ROW = 6  # rows 1-4: the title block
KEY_ROW = HEADER_ROW + 1  # machine-readable column keys, for a loader that does not read Vietnamese
FIRST_DATA_ROW = KEY_ROW + 1
FIXED_COLUMNS = (
    ("code", "Mã", 12),
    ("title", "Nội dung", 60),
    ("catalogue", "Danh mục", 12),
    ("total", "Tổng cộng", 16),
)
SOURCE_WIDTH = 16
SHEET_TITLE_MAX = 31  # Excel's limit
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def component_report_xlsx(plan: Plan) -> bytes:
    """The plan's money per component content and per source, as an .xlsx workbook.

    Contract:

    - **Sheets**: one per plan. The first is ``plan`` itself with its roll-up
      (``selectors.plan_totals(plan)``: its own lines plus every plan below it); then one sheet
      per direct child plan (``plan.children``, by unit code), each with its own roll-up (a
      three-tier district's sheet includes its communes). A plan without children gives one
      sheet. Sheet names are the units' names (at most 31 characters, made unique).
    - **Layout of a sheet**: rows 1-4 the title block (unit, report and year; programme and
      period; what the figures cover; the unit of amounts, million VND). Row 6 the column
      headers in Vietnamese, row 7 the same columns' keys (``code``, ``title``, ``catalogue``,
      ``total``, then each source's code), data from row 8.
    - **Columns**: the item's national code, its Vietnamese title (the province's own label where
      it renumbers the programme: Lâm Đồng's "Dự án 3: …" beside national code 4), its catalogue
      (period code), the total, then one column per funding source of the plan's period, in the
      period's order, headed by the source's short label.
    - **Rows**: the grand total first (no code, "Tổng cộng"); in a dual-catalogue year (2026)
      one section row per catalogue (no code, the period code in the catalogue column) with its
      subtotal, the plan's own catalogue first, the continuing one after; then every item of
      ``REPORT_KINDS`` of that catalogue in document order: each top-level item (component,
      project) followed by its component contents (sub-projects). **Every** such item has its
      row, with zeros where there is no money, so the shape is fixed per period and a loader
      can rely on it.
    - **Amounts**: numbers (not formulas), million VND with up to three decimals, equal to
      ``plan_totals``'s ``by_group`` (items with children) or ``by_item`` (leaves, e.g.
      2026-2030 C1.06, 2021-2025 project 2) to the last digit.

    Reads only; a few queries per sheet. The caller checks that the user may see ``plan``
    (``selectors.plan_get_for_user``); the children below a visible plan are visible too."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    children = list(plan.children.select_related("unit", "cycle__period").order_by("unit__code"))
    # The plan and its children share a cycle, hence the period's sources and catalogues.
    shared = _Shared(plan)
    parents = set(Plan.objects.filter(parent__in=children).values_list("parent_id", flat=True))
    used: set[str] = set()
    for sheet_plan in [plan, *children]:
        sheet = workbook.create_sheet(_sheet_title(sheet_plan, used))
        has_children = bool(children) if sheet_plan is plan else sheet_plan.pk in parents
        _report_sheet(sheet, sheet_plan, shared, has_children=has_children)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _Shared:
    """What every sheet of one report shares: the period's sources, the catalogues, the levels."""

    def __init__(self, plan: Plan) -> None:
        self.sources = selectors.plan_sources(plan)
        self.catalogues = plan_catalogue_items(plan)
        # A province's own labels (Lâm Đồng): the plan and its children share the province.
        self.labels = local_labels(plan)
        own = next(iter(self.catalogues.values()))[1]
        kinds = dict.fromkeys(item.kind for item in own if item.kind in REPORT_KINDS)
        with translation.override("vi"):
            self.levels = ", ".join(str(CatalogueItem.Kind(kind).label).lower() for kind in kinds)


def report_rows(plan: Plan, shared: _Shared | None = None) -> list[tuple[str, str, str, dict[str, Decimal], bool]]:
    """(code, title, catalogue, amounts, bold) of every row of the plan's report sheet."""
    shared = shared or _Shared(plan)
    sums = selectors.plan_totals(plan)
    sections = catalogue_sections(plan, sums, catalogues=shared.catalogues, sources=shared.sources)
    zero = selectors.zero_totals(shared.sources)
    flat = {key: value for key, value in sums.items() if not isinstance(value, dict)}
    rows = [("", GRAND_TOTAL_LABEL, "", flat, True)]
    for section in sections:
        if len(sections) > 1:
            rows.append(("", section.label, section.period, section.sums, True))
        for item in _report_items(section):
            amounts = sums["by_group"].get(item.code) or sums["by_item"].get(item.code) or zero
            title = shared.labels.get(item.pk, ("", ""))[1] or item.title_vi
            rows.append((item.code, title, section.period, amounts, item.parent_id is None))
    return rows


def _report_items(section: CatalogueSection) -> list[CatalogueItem]:
    return [item for item in section.items if item.kind in REPORT_KINDS]


def _sheet_title(plan: Plan, used: set[str]) -> str:
    base = SHEET_TITLE_FORBIDDEN.sub("", capfirst(unit_label(plan.unit))).strip()[:SHEET_TITLE_MAX] or str(plan.pk)
    title, counter = base, 2
    while title.casefold() in used:
        suffix = f" ({counter})"
        title, counter = base[: SHEET_TITLE_MAX - len(suffix)] + suffix, counter + 1
    used.add(title.casefold())
    return title


def _report_sheet(sheet: Worksheet, plan: Plan, shared: _Shared, *, has_children: bool) -> None:
    _title_block(sheet, plan, shared, has_children, last_column=len(FIXED_COLUMNS) + len(shared.sources))
    _header(sheet, shared.sources)
    source_keys = [source.code for source in shared.sources]
    for offset, (code, title, catalogue, amounts, bold) in enumerate(report_rows(plan, shared)):
        row = FIRST_DATA_ROW + offset
        values: list[tuple[object, str | None]] = [(code, "@"), (title, None), (catalogue, "@")]
        values += [excel_amount(amounts[key]) for key in ("total", *source_keys)]
        for column, (value, number_format) in enumerate(values, start=1):
            cell = put(sheet, row, column, value)
            cell.font, cell.border = xlsx_font(bold=bold, size=11), BOX
            cell.alignment = Alignment(vertical="center", wrap_text=column == 2)
            if number_format:
                cell.number_format = number_format
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, 3).coordinate
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{HEADER_ROW}:{KEY_ROW}"


def _title_block(sheet: Worksheet, plan: Plan, shared: _Shared, has_children: bool, *, last_column: int) -> None:
    period = plan.cycle.period
    scope = (
        "Số liệu tổng hợp của kế hoạch và các kế hoạch cấp dưới"
        if has_children
        else "Số liệu của kế hoạch (không có kế hoạch cấp dưới)"
    )
    lines = [
        (f"{capfirst(unit_label(plan.unit))} — {plan.get_plan_type_display()} năm {plan.cycle.year}", True, 14),
        (f"{period.title_vi} ({period.code})", False, 12),
        (f"Kinh phí theo {shared.levels} và nguồn vốn. {scope}.", False, 12),
        (UNIT_NOTE, False, 11),
    ]
    last = get_column_letter(last_column)
    for row, (text, bold, size) in enumerate(lines, start=1):
        cell = put(sheet, row, 1, text)
        cell.font = xlsx_font(bold=bold, italic=row == 4, size=size)
        cell.alignment = Alignment(horizontal="right" if row == 4 else "left", vertical="center", wrap_text=True)
        sheet.merge_cells(f"A{row}:{last}{row}")
    sheet.row_dimensions[2].height = 32


def _header(sheet: Worksheet, sources: Sequence[FundingSource]) -> None:
    columns = [*FIXED_COLUMNS, *((s.code, source_header(s), SOURCE_WIDTH) for s in sources)]
    for index, (key, label, width) in enumerate(columns, start=1):
        header = put(sheet, HEADER_ROW, index, label)
        header.font, header.border = xlsx_font(bold=True, size=11), BOX
        header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        keys = put(sheet, KEY_ROW, index, key)
        keys.font, keys.border = xlsx_font(italic=True, size=9, color="808080"), BOX
        keys.alignment = Alignment(horizontal="center")
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[HEADER_ROW].height = 32
