"""Plan documents as the files officials work in: the budget table as .xlsx, the plan as .docx.

Both follow Decree 30/2020/NĐ-CP (A4, Times New Roman) and the layout of the printed plans (seed
002, Phong Thổ 2023). Every amount comes from ``selectors.plan_totals`` (SQL sums, a parent plan
including everything below it), so the files show exactly what the API and the reviewers see.

The columns are the funding sources of the plan's period (``selectors.plan_sources``): four in
2021-2025, seven in 2026-2030. Nothing here names a source; a group of several sources gets a
spanning header, and the central group its subtotal column (the one subtotal the selectors
derive, ``"central"``). The rows follow the catalogue tree: top-level items (2021-2025 project,
2026-2030 component), then what lies under them down to the budgeted leaves. In a dual-catalogue
year (2026: continuing 2021-2025 tasks beside the new catalogue) each catalogue is a section with
its subtotal, the plan's own first, under one grand total.

The .xlsx holds the sums as values, not as ``=SUM()`` formulas: a formula has no value until
Excel recalculates it, so the file would read back empty in any library, previewer or mail
gateway that does not recalculate, and an officer who edits a line in the export would create a
second, diverging truth. Edits go through the import template (``planning.imports``) instead.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import numberformat, timezone, translation
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from directory.models import Membership, User
from planning import selectors
from planning.models import CatalogueItem, FundingSource, Plan, PlanType

FONT_NAME = "Times New Roman"
UNIT_NOTE = "Đơn vị tính: triệu đồng"
GRAND_TOTAL_LABEL = "Tổng cộng"
# Collective bodies sign "TM." (thay mặt, on behalf of the body); both spellings of "Ủy" occur.
COLLECTIVE_BODIES = ("ỦY BAN NHÂN DÂN", "UỶ BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN")
DEFAULT_PRINCIPAL_TITLE = "Chủ tịch"
# Where no symbol is issued yet, Decree 30 drafts leave room to write the number by hand.
BLANK_NUMBER = "     /KH-UBND"
BLANK_DAY = "     "
SIGNATURE_ROOM_LINES = 4

CENTRAL = FundingSource.Group.CENTRAL
# How the printed tables head a group of several sources, and how a sentence abbreviates a group.
# Groups are the model's three subtotal classes, not sources: which sources a period has, and in
# which group, is data.
GROUP_HEADINGS = {
    FundingSource.Group.CENTRAL: "Ngân sách trung ương (NSTW)",
    FundingSource.Group.LOCAL: "Ngân sách địa phương (NSĐP)",
    FundingSource.Group.OTHER: "Nguồn vốn khác",
}
GROUP_ABBREVIATIONS = {FundingSource.Group.CENTRAL: "NSTW", FundingSource.Group.LOCAL: "NSĐP"}
SUBTOTAL_LABEL = "Tổng"
STT_LABEL = "STT"
# Sections of a dual-catalogue year, numbered as Vietnamese tables number their parts.
SECTION_NUMBERS = ("I", "II", "III", "IV", "V")


@dataclass(frozen=True)
class Column:
    key: str  # a key of selectors' totals rows: a source code, "central" or "total"
    label: str
    group: str = ""  # the spanning header above the column, if any
    formula: str = ""  # the column-number row: how the column adds up ("1=2+5+6")


def budget_columns(sources: Sequence[FundingSource]) -> list[Column]:
    """The amount columns of the budget table: the total, then the sources in column order.

    Consecutive sources of one group share a spanning header (under it each source's short
    label); a source alone in its group spans both header rows with its full title. When the
    central group has several sources, its subtotal ("Tổng", selectors' ``"central"``) comes
    first under its header. The column-number row says how the columns add up: for seed 002,
    "1=2+5+6" and "2=3+4"."""
    central_split = sum(1 for s in sources if s.group == CENTRAL) > 1
    specs: list[tuple[str, str, str]] = []  # (key, label, group heading)
    for group, run in itertools.groupby(sources, key=lambda s: s.group):
        members = list(run)
        if len(members) == 1 and not (group == CENTRAL and central_split):
            source = members[0]
            specs.append((source.code, source.title_vi or source.short_vi, ""))
            continue
        heading = GROUP_HEADINGS.get(group, group)
        if group == CENTRAL and all(key != "central" for key, _label, _group in specs):
            specs.append(("central", SUBTOTAL_LABEL, heading))
        specs.extend((s.code, s.short_vi or s.title_vi, heading) for s in members)
    number = {key: str(index) for index, (key, _label, _group) in enumerate(specs, start=2)}
    in_central = {s.code for s in sources if s.group == CENTRAL} if central_split else set()
    formulas = {"total": "1=" + "+".join(number[key] for key, _l, _g in specs if key not in in_central)}
    if central_split:
        formulas["central"] = f"{number['central']}=" + "+".join(number[c] for c in number if c in in_central)
    columns = [Column("total", GRAND_TOTAL_LABEL, formula=formulas["total"])]
    columns += [Column(key, label, group, formulas.get(key, number[key])) for key, label, group in specs]
    return columns


def source_header(source: FundingSource) -> str:
    """A source's column header in the import template and the reports: its short label."""
    return source.short_vi or source.title_vi


# --- numbers ---------------------------------------------------------------------------------


def vn_number(value: Decimal | int) -> str:
    """A number in Vietnamese notation: "162.756", "38,5", "0,5".

    Amounts are stored with three decimals, so trailing zeros carry no meaning and are dropped;
    an integral value prints without a decimal mark.
    """
    return numberformat.format(
        Decimal(value).normalize(), ",", thousand_sep=".", grouping=3, force_grouping=True, use_l10n=False
    )


def excel_amount(value: Decimal) -> tuple[int | Decimal, str]:
    """A cell value and number format for an amount.

    Integral amounts are written as ``int`` with ``#,##0``: the format ``#,##0.###`` would show
    a dangling decimal mark ("162.756,") on whole numbers. Zero shows as "-", as in printed tables.
    """
    if value == value.to_integral_value():
        return int(value), '#,##0;-#,##0;"-"'
    return value, '#,##0.###;-#,##0.###;"-"'


def amount_text(value: Decimal) -> str:
    """An amount as the .docx prints it: Vietnamese notation, "-" for nothing."""
    return vn_number(value) if value else "-"


# --- the budget table, shared by both formats ------------------------------------------------


@dataclass(frozen=True)
class BudgetRow:
    number: str  # STT: the national code ("1.2", "C1.02.01"), a section's numeral, blank on the grand total
    label: str
    level: int  # 0 the grand total or a catalogue's section, 1 a top-level item, 2… below it
    amounts: dict[str, Decimal]
    bold: bool = False


@dataclass
class CatalogueSection:
    """One catalogue's part of a plan's money: its items in document order and its subtotal."""

    period: str
    label: str
    items: list[CatalogueItem]
    sums: dict[str, Decimal]


def programme_name(plan: Plan) -> str:
    """The programme's name without its period: "Chương trình mục tiêu quốc gia giảm nghèo bền vững"."""
    return plan.cycle.period.programme_name


Catalogues = dict[str, tuple[str | None, list[CatalogueItem]]]


def plan_catalogue_items(plan: Plan) -> Catalogues:
    """{period code: (None or why the plan may not use it, its items in document order)} for
    every catalogue of ``selectors.plan_catalogues``, the plan's own first (two queries)."""
    catalogues = selectors.plan_catalogues(plan)
    items: dict[str, list[CatalogueItem]] = {code: [] for code in catalogues}
    for item in CatalogueItem.objects.filter(period__code__in=list(catalogues)).select_related("period"):
        items[item.period.code].append(item)
    return {code: (refusal, sorted(items[code], key=lambda i: i.position)) for code, refusal in catalogues.items()}


def catalogue_sections(
    plan: Plan,
    sums: dict,
    *,
    catalogues: Catalogues | None = None,
    sources: Sequence[FundingSource] | None = None,
) -> list[CatalogueSection]:
    """The catalogues of the plan's money, the plan's own first: every catalogue its lines may
    use (``selectors.plan_catalogues``), and a refused one only if it holds money anyway.
    ``catalogues`` and ``sources`` may be given when known (plans of one cycle share them).

    A section's subtotal adds the ``by_project`` sums of its top-level items: the selectors key
    their sums by item code only, which is unambiguous between the catalogues a plan may use
    (2021-2025 "1.1", 2026-2030 "C1.02.01")."""
    catalogues = catalogues if catalogues is not None else plan_catalogue_items(plan)
    sources = list(sources) if sources is not None else selectors.plan_sources(plan)
    own = plan.cycle.period.code
    sections = []
    for code, (refusal, items) in catalogues.items():
        subtotal = selectors.zero_totals(sources)
        for item in items:
            if item.parent_id is None and item.code in sums["by_project"]:
                for key, value in sums["by_project"][item.code].items():
                    subtotal[key] += value
        if refusal is not None and not subtotal["total"]:
            continue
        label = f"Nội dung giai đoạn {code}" if code == own else f"Nhiệm vụ chuyển tiếp giai đoạn {code}"
        sections.append(CatalogueSection(code, label, items, subtotal))
    return sections


def _item_rows(items: list[CatalogueItem], sums: dict) -> list[BudgetRow]:
    """The items with money, in document order, each with its depth; groups (an item with
    children) carry their ``by_group`` sums, leaves their ``by_item`` sums. Every level but the
    deepest is a subtotal and bold: projects in 2021-2025, components and their contents in
    2026-2030."""
    by_pk = {item.pk: item for item in items}
    depth: dict[int, int] = {}
    for item in items:  # parents come before their children in document order
        depth[item.pk] = depth.get(item.parent_id, 0) + 1 if item.parent_id in by_pk else 1
    deepest = max(depth.values(), default=1)
    rows = []
    for item in items:
        amounts = sums["by_group"].get(item.code) or sums["by_item"].get(item.code)
        if amounts is None:
            continue  # no money: left out, as in the printed plans
        level = depth[item.pk]
        rows.append(BudgetRow(item.code, item.title_vi, level, amounts, bold=level < deepest or level == 1))
    return rows


def _flat(sums: dict) -> dict[str, Decimal]:
    return {key: value for key, value in sums.items() if not isinstance(value, dict)}


def budget_rows(
    plan: Plan, sums: dict | None = None, sections: list[CatalogueSection] | None = None
) -> list[BudgetRow]:
    """The grand total, then each top-level item that has money followed by what lies under it.

    Rows are per catalogue item, not per line: a district's or province's plan rolls up the lines
    of every plan below it, which only the catalogue structure can add up. Items without money
    are left out, as in the printed plans. When the plan may use several catalogues, each one is
    a section row (its subtotal) followed by its items, the plan's own catalogue first."""
    sums = sums if sums is not None else selectors.plan_totals(plan)
    sections = sections if sections is not None else catalogue_sections(plan, sums)
    rows = [BudgetRow("", GRAND_TOTAL_LABEL, 0, _flat(sums), bold=True)]
    for number, section in zip(SECTION_NUMBERS, sections, strict=False):
        if len(sections) > 1:
            rows.append(BudgetRow(number, section.label, 0, section.sums, bold=True))
        rows.extend(_item_rows(section.items, sums))
    return rows


def content_label(sections: Sequence[CatalogueSection]) -> str:
    """The content column's header, from the kinds of item in the plan's catalogues:
    "Nội dung (dự án, tiểu dự án)" in 2021-2025, "(hợp phần, nội dung thành phần, nội dung)" after."""
    kinds = list(dict.fromkeys(item.kind for section in sections for item in section.items if item.kind))
    with translation.override("vi"):
        labels = [str(CatalogueItem.Kind(k).label).lower() for k in kinds if k in CatalogueItem.Kind.values]
    return f"Nội dung ({', '.join(labels)})" if labels else "Nội dung"


# --- header pieces shared by both formats ----------------------------------------------------


def issuing_body_lines(plan: Plan) -> list[str]:
    """The issuing body as printed top left: "ỦY BAN NHÂN DÂN" / "HUYỆN PHONG THỔ"."""
    body = (plan.issuing_body or plan.unit.name).strip().upper()
    if "\n" in body:
        return [line.strip() for line in body.splitlines() if line.strip()]
    for collective in COLLECTIVE_BODIES:
        if body.startswith(collective) and body != collective:
            return [collective, body[len(collective) :].strip()]
    return [body]


def document_number(plan: Plan) -> str:
    """ "72/KH-UBND", or room to write the number in by hand while the plan is a draft."""
    return plan.number_symbol or BLANK_NUMBER


def date_line(plan: Plan) -> str:
    """ "Phong Thổ, ngày 15 tháng 01 năm 2023"; day and month left blank until issued.

    A draft is dated in the year it is printed (the 2023 plan was drafted in 2022)."""
    place = plan.place or plan.unit.name
    if plan.issued_on:
        day, month, year = f"{plan.issued_on:%d}", f"{plan.issued_on:%m}", plan.issued_on.year
    else:
        day, month, year = BLANK_DAY, BLANK_DAY, timezone.localdate().year
    return f"{place}, ngày {day} tháng {month} năm {year}"


def plan_title(plan: Plan) -> str:
    """ "Thực hiện Chương trình mục tiêu quốc gia giảm nghèo bền vững năm 2023"; the programme's
    name comes from the period (2026-2030: the merged programme)."""
    if plan.plan_type == PlanType.ANNUAL:
        return f"Thực hiện {programme_name(plan)} năm {plan.cycle.year}"
    return f"{plan.get_plan_type_display()} năm {plan.cycle.year}"


def budget_title(plan: Plan) -> str:
    short = programme_name(plan).replace("Chương trình mục tiêu quốc gia", "Chương trình MTQG")
    return f"Kế hoạch vốn thực hiện {short} năm {plan.cycle.year}"


# --- signature block -------------------------------------------------------------------------


def _title_of(user: User, plan: Plan) -> str:
    """The user's title as printed on a signature, preferring their post at the plan's unit."""
    memberships = Membership.objects.filter(user=user).exclude(title="").select_related("agency")
    ranked = sorted(memberships, key=lambda m: m.agency.unit_id != plan.unit_id)
    if not ranked:
        raise ValueError(f"{user.username} has no title to sign with.")
    return ranked[0].title


def signature_block(plan: Plan, signer: User | None = None, on_behalf_of: User | None = None) -> list[str]:
    """The lines of the signature block, bottom right of the document.

    "TM." names the collective body the signer acts for; "KT." is a deputy signing for the chair
    (Decree 30). Without a known signer the block keeps the chair's title and no name, so the
    draft can be printed and signed by whoever signs. A blank line leaves room for the signature.
    """
    if on_behalf_of is not None and signer is None:
        raise ValueError("A deputy signs on behalf of the principal: name the signer too.")
    lines = [f"TM. {body}" for body in issuing_body_lines(plan)[:1] if body in COLLECTIVE_BODIES]
    if signer is None:
        return [*lines, DEFAULT_PRINCIPAL_TITLE.upper()]
    if on_behalf_of is not None:
        lines.append(f"KT. {_title_of(on_behalf_of, plan).upper()}")
    return [*lines, _title_of(signer, plan).upper(), "", signer.display_name]


def _in_sentence(text: str) -> str:
    """A title as it reads inside a sentence: first letter lower-cased, abbreviations kept."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def _within_group(source: FundingSource) -> str:
    """A source's title inside its group's parenthesis, without the group's name:
    "Ngân sách Trung ương - vốn đầu tư" reads "vốn đầu tư" after "NSTW …"."""
    with translation.override("vi"):
        group = str(FundingSource.Group(source.group).label)
    title = source.title_vi
    if title.casefold().startswith(group.casefold()):
        title = title[len(group) :].lstrip(" -–:")
    return _in_sentence(title)


def _money(value: Decimal) -> str:
    return f"{vn_number(value)} triệu đồng"


def funding_sentence(plan: Plan, sums: dict, sources: Sequence[FundingSource] | None = None) -> str:
    """Section III's opening sentence, with the same figures as the budget table: the total, then
    each source of the period that has money; the central group as "NSTW x (vốn đầu tư y, vốn sự
    nghiệp z)" when it has several sources, a source alone in a group by the group's abbreviation."""
    sources = list(sources) if sources is not None else selectors.plan_sources(plan)
    central = [s for s in sources if s.group == CENTRAL]
    parts: list[str] = []
    for source in sources:
        if source.group == CENTRAL and len(central) > 1:
            if source is central[0] and sums["central"]:
                inner = ", ".join(f"{_within_group(s)} {_money(sums[s.code])}" for s in central if sums[s.code])
                parts.append(f"{GROUP_ABBREVIATIONS[CENTRAL]} {_money(sums['central'])} ({inner})")
            continue
        if not sums[source.code]:
            continue  # seven sources, most of them often empty: the sentence names those with money
        alone = sum(1 for s in sources if s.group == source.group) == 1
        name = GROUP_ABBREVIATIONS.get(source.group) if alone else None
        parts.append(f"{name or _in_sentence(source.title_vi)} {_money(sums[source.code])}")
    total = f"Tổng kế hoạch vốn thực hiện Chương trình năm {plan.cycle.year} là {_money(sums['total'])}"
    return f"{total}, trong đó: {'; '.join(parts)}." if parts else f"{total}."


def catalogue_sentence(sections: Sequence[CatalogueSection]) -> str:
    """In a dual-catalogue year, how the total splits between the catalogues; else ""."""
    if len(sections) < 2:
        return ""
    parts = "; ".join(f"{_in_sentence(s.label)} {_money(s.sums['total'])}" for s in sections)
    return f"Theo danh mục: {parts}."


# --- .xlsx -----------------------------------------------------------------------------------

XLSX_NUMBER_WIDTH, XLSX_CONTENT_WIDTH, XLSX_AMOUNT_WIDTH = 10, 58, 15
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_TOP = 6  # rows 1-4 carry the document's title block


def xlsx_font(**kwargs) -> Font:
    return Font(name=FONT_NAME, size=kwargs.pop("size", 12), **kwargs)


def budget_xlsx(plan: Plan) -> bytes:
    """The plan's budget table as an .xlsx, laid out like the annex of a printed plan: one
    column per source of the plan's period, the sums of ``selectors.plan_totals`` as numbers."""
    sources = selectors.plan_sources(plan)
    columns = budget_columns(sources)
    sums = selectors.plan_totals(plan)
    sections = catalogue_sections(plan, sums, sources=sources)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Kế hoạch vốn"
    last_column = get_column_letter(2 + len(columns))
    _xlsx_title_block(sheet, plan, last_column)
    first_data_row = _xlsx_header(sheet, HEADER_TOP, columns, content_label(sections))
    for offset, row in enumerate(budget_rows(plan, sums, sections)):
        _xlsx_budget_row(sheet, first_data_row + offset, row, columns)
    sheet.column_dimensions["A"].width = XLSX_NUMBER_WIDTH
    sheet.column_dimensions["B"].width = XLSX_CONTENT_WIDTH
    for index in range(len(columns)):
        sheet.column_dimensions[get_column_letter(3 + index)].width = XLSX_AMOUNT_WIDTH
    sheet.freeze_panes = f"C{first_data_row}"
    _xlsx_print_setup(sheet, f"{HEADER_TOP}:{first_data_row - 1}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_title_block(sheet: Worksheet, plan: Plan, last_column: str) -> None:
    lines = [
        (1, "\n".join(issuing_body_lines(plan)), xlsx_font(bold=True), "A1:B1", "center"),
        (2, budget_title(plan), xlsx_font(bold=True, size=14), f"A2:{last_column}2", "center"),
        (3, f"(Kèm theo Kế hoạch số {document_number(plan)})", xlsx_font(italic=True), f"A3:{last_column}3", "center"),
        (4, UNIT_NOTE, xlsx_font(italic=True), f"A4:{last_column}4", "right"),
    ]
    for row, text, font, merged, horizontal in lines:
        cell = sheet.cell(row=row, column=1, value=text)
        cell.font = font
        cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
        sheet.merge_cells(merged)
    sheet.row_dimensions[1].height = 32
    sheet.row_dimensions[2].height = 36


def group_spans(columns: Sequence[Column], first: int) -> list[tuple[int, int, str]]:
    """(first, last column index, heading) of each run of columns under one spanning header."""
    spans = []
    index = first
    for heading, run in itertools.groupby(columns, key=lambda c: c.group):
        count = len(list(run))
        if heading:
            spans.append((index, index + count - 1, heading))
        index += count
    return spans


def _xlsx_header(sheet: Worksheet, top: int, columns: Sequence[Column], content: str) -> int:
    """Two header rows (a group of sources spans its columns) and the column-number row;
    returns the next row."""
    bold = xlsx_font(bold=True)
    centered = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.cell(top, 1, STT_LABEL)
    sheet.cell(top, 2, content)
    sheet.cell(top + 2, 1, "A")
    sheet.cell(top + 2, 2, "B")
    for index, column in enumerate(columns, start=3):
        if column.group:
            sheet.cell(top + 1, index, column.label)
        else:
            sheet.cell(top, index, column.label)
        sheet.cell(top + 2, index, column.formula)
    for index in range(1, 3 + len(columns)):
        for row in (top, top + 1, top + 2):
            cell = sheet.cell(row, index)
            cell.font = xlsx_font(italic=True, size=10) if row == top + 2 else bold
            cell.alignment, cell.border = centered, BOX
        if index < 3 or not columns[index - 3].group:
            sheet.merge_cells(start_row=top, start_column=index, end_row=top + 1, end_column=index)
    for start, end, heading in group_spans(columns, 3):
        sheet.cell(top, start, heading)
        if end > start:
            sheet.merge_cells(start_row=top, start_column=start, end_row=top, end_column=end)
    sheet.row_dimensions[top + 1].height = 48
    return top + 3


def _xlsx_budget_row(sheet: Worksheet, row_number: int, row: BudgetRow, columns: Sequence[Column]) -> None:
    font = xlsx_font(bold=row.bold)
    values: list[tuple[object, str | None]] = [(row.number, "@"), (row.label, None)]
    values += [excel_amount(row.amounts[column.key]) for column in columns]
    for index, (value, number_format) in enumerate(values, start=1):
        cell = sheet.cell(row_number, index, value)
        cell.font, cell.border = font, BOX
        cell.alignment = Alignment(horizontal="center" if index == 1 else None, vertical="center", wrap_text=index == 2)
        if number_format:
            cell.number_format = number_format


def _xlsx_print_setup(sheet: Worksheet, title_rows: str) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = title_rows
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5


# --- .docx -----------------------------------------------------------------------------------

# Decree 30/2020, appendix I: A4, margins top/bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
PAGE_MARGINS = {"top_margin": Cm(2), "bottom_margin": Cm(2), "left_margin": Cm(3), "right_margin": Cm(1.5)}
# The budget table's landscape pages are bound along their top edge: the portrait margins, turned.
LANDSCAPE_MARGINS = {"top_margin": Cm(3), "bottom_margin": Cm(1.5), "left_margin": Cm(2), "right_margin": Cm(2)}
A4_SHORT, A4_LONG = Cm(21), Cm(29.7)
HEADER_WIDTHS = (Cm(6.5), Cm(10))
ANNEX_LABEL = "PHỤ LỤC"
ANNEX_REFERENCE = "(Chi tiết kế hoạch vốn theo nội dung và nguồn vốn tại Phụ lục kèm theo.)"
LEFT, CENTER, RIGHT = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
INDICATOR_WIDTHS = (Cm(1.1), Cm(9.4), Cm(3), Cm(3))

# The budget table: the largest font (pt) at which every amount fits its column on one line.
TABLE_FONT_SIZES = (10, 9.5, 9, 8.5, 8, 7.5, 7)
CELL_PADDING_CM = 0.1  # left and right, set on the table (Word's default is 0.19)
MIN_NUMBER_CM, MIN_AMOUNT_CM = 1.1, 1.5
MIN_CONTENT_CM, MAX_CONTENT_CM = 4.5, 8.0
# Advance widths in Times New Roman, in em: every digit is 0.5 (regular and bold alike), the
# separators a quarter; other characters (codes like "C1.02.01") are taken as wide as a capital.
ADVANCE_EM = {**dict.fromkeys("0123456789", 0.5), ".": 0.25, ",": 0.25, "-": 0.333, " ": 0.25}
WIDE_EM = 0.722
CM_PER_PT = 2.54 / 72


# Room for what the estimate leaves out (kerning, a renderer's rounding): 5 % and half a millimetre.
SLACK_FACTOR, SLACK_CM = 1.05, 0.05


def text_width_cm(text: str, size_pt: float) -> float:
    """The printed width of a one-line text in Times New Roman (an upper bound for letters)."""
    return sum(ADVANCE_EM.get(char, WIDE_EM) for char in text) * size_pt * CM_PER_PT


def cell_width_needed_cm(text: str, size_pt: float) -> float:
    """The narrowest column that keeps ``text`` on one line, padding and slack included."""
    return text_width_cm(text, size_pt) * SLACK_FACTOR + SLACK_CM + 2 * CELL_PADDING_CM


@dataclass(frozen=True)
class TableLayout:
    size: float  # font size of the body rows, pt
    widths: tuple[float, ...]  # cm: number, content, then each amount column


def budget_layout(rows: Sequence[BudgetRow], columns: Sequence[Column], usable_cm: float) -> TableLayout:
    """Column widths that fill ``usable_cm`` and keep every amount on one line: the largest font
    of ``TABLE_FONT_SIZES`` at which the widest amount fits while the content column keeps at
    least ``MIN_CONTENT_CM``; the content column takes up to ``MAX_CONTENT_CM``, the amount
    columns share the rest. Beyond any real plan (amounts over a trillion VND at 7 pt) the
    amounts share what is left and their cells' ``noWrap`` still keeps each on one line."""
    texts = [amount_text(row.amounts[c.key]) for row in rows for c in columns]
    count = len(columns)
    for size in TABLE_FONT_SIZES:
        number = max([MIN_NUMBER_CM, *(cell_width_needed_cm(r.number, size) for r in rows)])
        need = max([MIN_AMOUNT_CM, *(cell_width_needed_cm(t, size) for t in texts)])
        rest = usable_cm - number - count * need
        if rest >= MIN_CONTENT_CM or size == TABLE_FONT_SIZES[-1]:
            content = max(MIN_CONTENT_CM, min(rest, MAX_CONTENT_CM))
            amount = (usable_cm - number - content) / count
            return TableLayout(size, (number, content, *[amount] * count))
    raise AssertionError("unreachable")  # pragma: no cover


def plan_docx(plan: Plan, *, signer: User | None = None, on_behalf_of: User | None = None) -> bytes:
    """The plan as a Word document in the Decree 30/2020 layout, ready to be finished and signed.

    The plan's text, up to the signature, is portrait; section III states the money and refers to
    the budget table, which follows the signature as the plan's annex on landscape pages (one
    column per source of the period, the same rows as the .xlsx), as printed plans attach it."""
    document = Document()
    _docx_page_and_styles(document)
    _docx_header(document, plan)
    _docx_title(document, plan)
    for basis in _lines(plan.legal_bases):
        _paragraph(document, basis, italic=True, indent=True)
    _docx_heading(document, "I. MỤC ĐÍCH, YÊU CẦU")
    for text in _lines(plan.purpose):
        _paragraph(document, text, indent=True)
    _docx_heading(document, f"II. MỤC TIÊU NĂM {plan.cycle.year}")
    for text in _lines(plan.objectives):
        _paragraph(document, text, indent=True)
    _docx_indicators(document, plan)
    _docx_heading(document, f"III. KẾ HOẠCH VỐN NĂM {plan.cycle.year}")
    sums = selectors.plan_totals(plan)
    sources = selectors.plan_sources(plan)
    sections = catalogue_sections(plan, sums, sources=sources)
    _paragraph(document, funding_sentence(plan, sums, sources), indent=True)
    if sentence := catalogue_sentence(sections):
        _paragraph(document, sentence, indent=True)
    _paragraph(document, ANNEX_REFERENCE, indent=True)
    _docx_closing(document, plan, signature_block(plan, signer, on_behalf_of))
    # Word turns pages only at a section break: the annex is a landscape section of its own.
    _docx_landscape_section(document)
    _docx_annex_title(document, plan)
    rows = budget_rows(plan, sums, sections)
    _docx_budget_table(document, rows, budget_columns(sources), content_label(sections))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _docx_page_and_styles(document: Document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = A4_SHORT, A4_LONG
    for name, value in PAGE_MARGINS.items():
        setattr(section, name, value)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT_NAME, Pt(14)
    # Word picks the East Asian font slot for some Vietnamese characters: set every slot.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT_NAME)
    normal.paragraph_format.space_before, normal.paragraph_format.space_after = Pt(0), Pt(6)
    normal.paragraph_format.line_spacing = 1.0


def _docx_landscape_section(document: Document) -> None:
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = A4_LONG, A4_SHORT
    for name, value in LANDSCAPE_MARGINS.items():
        setattr(section, name, value)


def _docx_annex_title(document: Document, plan: Plan) -> None:
    _paragraph(document, ANNEX_LABEL, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _paragraph(document, budget_title(plan).upper(), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _paragraph(
        document, f"(Kèm theo Kế hoạch số {document_number(plan)})", italic=True, align=WD_ALIGN_PARAGRAPH.CENTER
    )


def usable_width_cm(document: Document) -> float:
    section = document.sections[-1]
    return Emu(section.page_width - section.left_margin - section.right_margin).cm


def _paragraph(
    container: Document | _Cell,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: bool = False,
    space_after: float | None = None,
) -> Paragraph:
    paragraph = container.add_paragraph()
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)
    paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(1)
    if space_after is not None:
        paragraph.paragraph_format.space_after = Pt(space_after)
    return paragraph


def _cell_paragraph(cell: _Cell, text: str, **style) -> Paragraph:
    """Write into a table cell, reusing the empty paragraph every new cell starts with."""
    existing = cell.paragraphs[0]
    if not existing.text and len(cell.paragraphs) == 1 and not existing.runs:
        existing._element.getparent().remove(existing._element)
    return _paragraph(cell, text, **{"align": WD_ALIGN_PARAGRAPH.CENTER, "space_after": 0, **style})


def _table(document: Document, rows: int, widths: Sequence[Cm], *, grid: bool) -> Table:
    table = document.add_table(rows=rows, cols=len(widths))
    if grid:
        table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # Word reads each cell's width, LibreOffice the grid's: set both.
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    return table


def _docx_header(document: Document, plan: Plan) -> None:
    """Issuing body and number top left, the national motto and the date top right, no borders."""
    left, right = _table(document, 1, HEADER_WIDTHS, grid=False).rows[0].cells
    for line in issuing_body_lines(plan):
        _cell_paragraph(left, line, bold=True, size=13)
    _cell_paragraph(left, "", size=6)
    _cell_paragraph(left, f"Số: {document_number(plan)}", size=13)
    _cell_paragraph(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=13)
    _cell_paragraph(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=14)
    _cell_paragraph(right, "", size=6)
    _cell_paragraph(right, date_line(plan), italic=True, size=14)


def _docx_title(document: Document, plan: Plan) -> None:
    _paragraph(document, "", space_after=0)
    _paragraph(document, "KẾ HOẠCH", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _paragraph(document, plan_title(plan), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)


def _docx_heading(document: Document, text: str) -> None:
    _paragraph(document, text, bold=True, indent=True)


def _fill_row(
    table: Table, index: int, texts: Sequence[str], aligns: Sequence[WD_ALIGN_PARAGRAPH], **style: object
) -> None:
    for cell, text, align in zip(table.rows[index].cells, texts, aligns, strict=True):
        _cell_paragraph(cell, text, align=align, **style)


def _docx_indicators(document: Document, plan: Plan) -> None:
    indicators = list(plan.indicators.order_by("position"))
    if not indicators:
        return
    table = _table(document, 1 + len(indicators), INDICATOR_WIDTHS, grid=True)
    _fill_row(table, 0, ["STT", "Chỉ tiêu", "Đơn vị tính", "Giá trị"], [CENTER] * 4, bold=True, size=12)
    for index, indicator in enumerate(indicators, start=1):
        value = vn_number(indicator.value)
        if indicator.value_max is not None:
            value = f"{value} - {vn_number(indicator.value_max)}"
        texts = [str(index), indicator.name, indicator.unit_of_measure, value]
        _fill_row(table, index, texts, [CENTER, LEFT, CENTER, RIGHT], size=12)
    _paragraph(document, "", space_after=0)


def _docx_budget_table(document: Document, rows: list[BudgetRow], columns: Sequence[Column], content: str) -> None:
    """The same table as the .xlsx: two header rows (a group of sources spans its columns), the
    column-number row, then the rows; sized so that every amount stays on one line."""
    _paragraph(document, UNIT_NOTE, italic=True, size=12, align=RIGHT, space_after=0)
    layout = budget_layout(rows, columns, usable_width_cm(document))
    table = _table(document, 3 + len(rows), [Cm(w) for w in layout.widths], grid=True)
    _set_cell_padding(table, CELL_PADDING_CM)
    _docx_budget_header(table, columns, content, layout.size)
    aligns = (CENTER, LEFT, *[RIGHT] * len(columns))
    for index, row in enumerate(rows, start=3):
        amounts = [amount_text(row.amounts[c.key]) for c in columns]
        _fill_row(table, index, [row.number, row.label, *amounts], aligns, bold=row.bold, size=layout.size)
        for cell in table.rows[index].cells[2:]:
            _no_wrap(cell)
    for index in range(3):
        _repeat_as_header(table.rows[index])


def _docx_budget_header(table: Table, columns: Sequence[Column], content: str, size: float) -> None:
    """Merge first, then write each merged cell once (merging concatenates the cells' paragraphs)."""
    header = {0: STT_LABEL, 1: content}
    header |= {i: c.label for i, c in enumerate(columns, start=2) if not c.group}
    for column, text in header.items():
        _cell_paragraph(table.cell(0, column).merge(table.cell(1, column)), text, bold=True, size=size)
    for start, end, heading in group_spans(columns, 2):
        _cell_paragraph(table.cell(0, start).merge(table.cell(0, end)), heading, bold=True, size=size)
    for column, spec in enumerate(columns, start=2):
        if spec.group:
            _cell_paragraph(table.cell(1, column), spec.label, bold=True, size=size)
    numbers = ["A", "B", *[c.formula for c in columns]]
    _fill_row(table, 2, numbers, [CENTER] * len(numbers), size=max(size - 1, 6))


def _set_cell_padding(table: Table, cm: float) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), str(round(cm * 567)))  # twentieths of a point: 567 per cm
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")


def _no_wrap(cell: _Cell) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    if tc_pr.find(qn("w:noWrap")) is None:
        successors = ("w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark", "w:headers")
        tc_pr.insert_element_before(OxmlElement("w:noWrap"), *successors, "w:cellIns", "w:cellDel", "w:cellMerge")


def _repeat_as_header(row) -> None:
    """Repeat the header rows at the top of every page the table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn("w:tblHeader")) is None:
        tr_pr.insert_element_before(
            OxmlElement("w:tblHeader"), "w:tblCellSpacing", "w:jc", "w:hidden", "w:ins", "w:del", "w:trPrChange"
        )


def _docx_closing(document: Document, plan: Plan, signature: list[str]) -> None:
    """ "Nơi nhận:" bottom left, the signature block bottom right, side by side without borders."""
    _paragraph(document, "", space_after=0)
    left, right = _table(document, 1, HEADER_WIDTHS, grid=False).rows[0].cells
    _cell_paragraph(left, "Nơi nhận:", bold=True, italic=True, size=12, align=LEFT)
    for recipient in _lines(plan.recipients):
        _cell_paragraph(left, f"- {recipient}", size=11, align=LEFT)
    # A blank line is the room for the signature and the seal; a draft without a signer needs it too.
    for line in signature if "" in signature else [*signature, ""]:
        for _ in range(1 if line else SIGNATURE_ROOM_LINES):
            _cell_paragraph(right, line, bold=True, size=14)
