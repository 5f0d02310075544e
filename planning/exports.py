"""Plan documents as the files officials work in: the budget table as .xlsx, the plan as .docx.

Both follow Decree 30/2020/NĐ-CP (A4, Times New Roman) and the layout of the printed plans (seed
002, Phong Thổ 2023). Every amount comes from ``selectors.plan_totals`` (SQL sums, a parent plan
including everything below it), so the files show exactly what the API and the reviewers see.

The .xlsx holds the sums as values, not as ``=SUM()`` formulas: a formula has no value until
Excel recalculates it, so the file would read back empty in any library, previewer or mail
gateway that does not recalculate, and an officer who edits a line in the export would create a
second, diverging truth. Edits go through the import template (``planning.imports``) instead.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import numberformat, timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from directory.models import Membership, User
from planning import selectors
from planning.models import CatalogueItem, Plan, PlanType

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


@dataclass(frozen=True)
class Column:
    key: str  # a key of selectors' totals rows
    label: str
    group: str = ""  # the spanning header above the column, if any
    formula: str = ""  # the column-number row: how the column adds up


# The layout of seed 002's budget table; "1=2+5+6" is the column-number row printed below headers.
BUDGET_COLUMNS = (
    Column("total", "Tổng cộng", formula="1=2+5+6"),
    Column("central", "Tổng", "Ngân sách trung ương (NSTW)", "2=3+4"),
    Column("central_investment", "Vốn đầu tư", "Ngân sách trung ương (NSTW)", "3"),
    Column("central_recurrent", "Vốn sự nghiệp", "Ngân sách trung ương (NSTW)", "4"),
    Column("local", "Ngân sách địa phương (NSĐP)", formula="5"),
    Column("other", "Vốn huy động khác", formula="6"),
)
STT_LABEL = "STT"
CONTENT_LABEL = "Nội dung (dự án, tiểu dự án)"


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


# --- the budget table, shared by both formats ------------------------------------------------


@dataclass(frozen=True)
class BudgetRow:
    number: str  # STT: the national code ("1.2"), blank on the grand total
    label: str
    level: int  # 0 grand total, 1 project, 2 sub-project
    amounts: dict[str, Decimal]


def budget_rows(plan: Plan) -> list[BudgetRow]:
    """The grand total, then each project that has money, followed by its sub-projects.

    Rows are per catalogue item, not per line: a district's or province's plan rolls up the lines
    of every plan below it, which only the catalogue structure can add up. Items without money
    are left out, as in the printed plans.
    """
    sums = selectors.plan_totals(plan)
    items = {item.code: item for item in CatalogueItem.objects.filter(period_id=plan.cycle.period_id)}
    rows = [BudgetRow("", GRAND_TOTAL_LABEL, 0, sums)]
    for project_code, amounts in sums["by_project"].items():
        project = items[project_code]
        rows.append(BudgetRow(project.code, project.title_vi, 1, amounts))
        rows.extend(
            BudgetRow(code, items[code].title_vi, 2, item_amounts)
            for code, item_amounts in sums["by_item"].items()
            if items[code].parent_id == project.pk
        )
    return rows


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
    if plan.plan_type == PlanType.ANNUAL:
        return f"Thực hiện Chương trình mục tiêu quốc gia giảm nghèo bền vững năm {plan.cycle.year}"
    return f"{plan.get_plan_type_display()} năm {plan.cycle.year}"


def budget_title(plan: Plan) -> str:
    return f"Kế hoạch vốn thực hiện Chương trình MTQG giảm nghèo bền vững năm {plan.cycle.year}"


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


def funding_sentence(plan: Plan, sums: dict) -> str:
    """Section III's opening sentence, with the same figures as the table below it."""
    return (
        f"Tổng kế hoạch vốn thực hiện Chương trình năm {plan.cycle.year} là {vn_number(sums['total'])} triệu đồng, "
        f"trong đó: NSTW {vn_number(sums['central'])} triệu đồng (vốn đầu tư "
        f"{vn_number(sums['central_investment'])} triệu đồng, vốn sự nghiệp {vn_number(sums['central_recurrent'])} "
        f"triệu đồng); NSĐP {vn_number(sums['local'])} triệu đồng; vốn huy động khác {vn_number(sums['other'])} "
        "triệu đồng."
    )


# --- .xlsx -----------------------------------------------------------------------------------

XLSX_WIDTHS = {"A": 7, "B": 58, **{get_column_letter(3 + i): 15 for i in range(len(BUDGET_COLUMNS))}}
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_TOP = 6  # rows 1-4 carry the document's title block


def xlsx_font(**kwargs) -> Font:
    return Font(name=FONT_NAME, size=kwargs.pop("size", 12), **kwargs)


def budget_xlsx(plan: Plan) -> bytes:
    """The plan's budget table as an .xlsx, laid out like the annex of a printed plan."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Kế hoạch vốn"
    last_column = get_column_letter(2 + len(BUDGET_COLUMNS))
    _xlsx_title_block(sheet, plan, last_column)
    first_data_row = _xlsx_header(sheet, HEADER_TOP)
    for offset, row in enumerate(budget_rows(plan)):
        _xlsx_budget_row(sheet, first_data_row + offset, row)
    for letter, width in XLSX_WIDTHS.items():
        sheet.column_dimensions[letter].width = width
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


def _xlsx_header(sheet: Worksheet, top: int) -> int:
    """Two header rows (NSTW spans three columns) and the column-number row; returns the next row."""
    bold = xlsx_font(bold=True)
    centered = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.cell(top, 1, STT_LABEL)
    sheet.cell(top, 2, CONTENT_LABEL)
    sheet.cell(top + 2, 1, "A")
    sheet.cell(top + 2, 2, "B")
    for index, column in enumerate(BUDGET_COLUMNS, start=3):
        if column.group:
            sheet.cell(top, index, column.group)
            sheet.cell(top + 1, index, column.label)
        else:
            sheet.cell(top, index, column.label)
        sheet.cell(top + 2, index, column.formula)
    for index in range(1, 3 + len(BUDGET_COLUMNS)):
        for row in (top, top + 1, top + 2):
            cell = sheet.cell(row, index)
            cell.font = xlsx_font(italic=True, size=10) if row == top + 2 else bold
            cell.alignment, cell.border = centered, BOX
        if index < 3 or not BUDGET_COLUMNS[index - 3].group:
            sheet.merge_cells(start_row=top, start_column=index, end_row=top + 1, end_column=index)
    groups = [i for i, c in enumerate(BUDGET_COLUMNS, start=3) if c.group]
    sheet.merge_cells(start_row=top, start_column=groups[0], end_row=top, end_column=groups[-1])
    sheet.row_dimensions[top + 1].height = 36
    return top + 3


def _xlsx_budget_row(sheet: Worksheet, row_number: int, row: BudgetRow) -> None:
    font = xlsx_font(bold=row.level < 2)
    values: list[tuple[object, str | None]] = [(row.number, None), (row.label, None)]
    values += [excel_amount(row.amounts[column.key]) for column in BUDGET_COLUMNS]
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
HEADER_WIDTHS = (Cm(6.5), Cm(10))
BUDGET_WIDTHS = (Cm(1.1), Cm(5), *[Cm(1.73)] * len(BUDGET_COLUMNS))
LEFT, CENTER, RIGHT = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
INDICATOR_WIDTHS = (Cm(1.1), Cm(9.4), Cm(3), Cm(3))


def plan_docx(plan: Plan, *, signer: User | None = None, on_behalf_of: User | None = None) -> bytes:
    """The plan as a Word document in the Decree 30/2020 layout, ready to be finished and signed."""
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
    rows = budget_rows(plan)
    _paragraph(document, funding_sentence(plan, rows[0].amounts), indent=True)
    _docx_budget_table(document, rows)
    _docx_closing(document, plan, signature_block(plan, signer, on_behalf_of))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _docx_page_and_styles(document: Document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
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


BUDGET_ALIGNS = (CENTER, LEFT, *[RIGHT] * len(BUDGET_COLUMNS))


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


def _docx_budget_table(document: Document, rows: list[BudgetRow]) -> None:
    """The same table as the .xlsx: two header rows (NSTW spans its three columns), then the rows."""
    _paragraph(document, UNIT_NOTE, italic=True, size=12, align=RIGHT, space_after=0)
    table = _table(document, 3 + len(rows), BUDGET_WIDTHS, grid=True)
    _docx_budget_header(table)
    for index, row in enumerate(rows, start=3):
        amounts = [vn_number(row.amounts[c.key]) if row.amounts[c.key] else "-" for c in BUDGET_COLUMNS]
        _fill_row(table, index, [row.number, row.label, *amounts], BUDGET_ALIGNS, bold=row.level < 2, size=10)


def _docx_budget_header(table: Table) -> None:
    """Merge first, then write each merged cell once (merging concatenates the cells' paragraphs)."""
    header = {0: STT_LABEL, 1: CONTENT_LABEL}
    header |= {i: c.label for i, c in enumerate(BUDGET_COLUMNS, start=2) if not c.group}
    for column, text in header.items():
        _cell_paragraph(table.cell(0, column).merge(table.cell(1, column)), text, bold=True, size=10)
    grouped = [(i, c) for i, c in enumerate(BUDGET_COLUMNS, start=2) if c.group]
    spanning = table.cell(0, grouped[0][0]).merge(table.cell(0, grouped[-1][0]))
    _cell_paragraph(spanning, grouped[0][1].group, bold=True, size=10)
    for column, spec in grouped:
        _cell_paragraph(table.cell(1, column), spec.label, bold=True, size=10)
    _fill_row(table, 2, ["A", "B", *[c.formula for c in BUDGET_COLUMNS]], [CENTER] * len(BUDGET_ALIGNS), size=9)


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
