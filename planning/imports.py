"""Budget lines from Excel: a template pre-filled with the plan's lines, and its import.

Officers keep their figures in Excel; typing them again into a form is where mistakes creep in.
The import is all or nothing, like ``services.plan_lines_replace`` which it ends in, and it
checks every row with ``services.validate_lines`` so the rules are the API's rules. Errors name
the Excel row number and the column header the officer sees, not a list index or a source code.

The amount columns are the funding sources of the plan's period (four in 2021-2025, seven in
2026-2030), headed by each source's short label; nothing here names a source. In a
dual-catalogue year (2026) a "Danh mục" column says which catalogue each line's code is from.

Untrusted files are read with limits (size, rows scanned, data rows) and in openpyxl's streaming
mode, so a hostile or broken file costs a bounded amount of memory and time.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from config.errors import StructuredValidationError
from config.spreadsheet import append, put
from directory.models import User
from planning import selectors, services
from planning.exports import FONT_NAME, excel_amount, source_header
from planning.models import BudgetLine, CatalogueItem, FundingSource, Plan

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000  # data rows: a province's own lines are a few dozen
MAX_SCANNED_ROWS = 20_000  # rows read at all, blank or not (formatting can create empty rows)
HEADER_SEARCH_ROWS = 10  # the header may sit below a title the officer added
CATALOGUE_SHEET = "Danh mục"
LINES_SHEET = "Dòng kinh phí"
# "1.200" as text: Vietnamese for 1200, plain notation for 1,2. A thousandfold error either way,
# so the officer has to say which (a number cell, "1200" or "1.200,0").
AMBIGUOUS_AMOUNT = re.compile(r"^\d{1,3}(\.\d{3})+$")


@dataclass(frozen=True)
class Column:
    key: str  # the key services.validate_lines reads; for an amount column, the source's code
    label: str
    width: int
    required: bool = False
    amount: bool = False  # the column holds one source's amounts (nested under "amounts")
    foreign: bool = False  # an amount column of another period's source (read only to refuse it)
    aliases: tuple[str, ...] = ()  # other headers that name the column (the key always does)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.label, self.key, *self.aliases)


# The item column: 2021-2025 budgets projects and sub-projects, 2026-2030 contents. Either
# header is read in any period.
ITEM_LABELS = {CatalogueItem.Kind.PROJECT: "Mã dự án", CatalogueItem.Kind.SUB_PROJECT: "Mã dự án"}
ITEM_LABEL_DEFAULT = "Mã nội dung"
ITEM_ALIASES = ("Mã dự án", "Mã nội dung", "Mã")
CATALOGUE_COLUMN = Column("catalogue", "Danh mục", 12, aliases=("Giai đoạn", "Danh mục giai đoạn"))
TEXT_COLUMNS = (
    Column("lead_agency", "Cơ quan chủ trì", 30),
    Column("coordinating_agencies", "Cơ quan phối hợp", 30),
    Column("beneficiaries", "Đối tượng thụ hưởng", 30),
)
CONTENT_COLUMN = Column("content", "Nội dung", 50)


HOUSEHOLD_COLUMNS = (
    Column("code", "Mã hộ", 14, required=True),
    Column("head_name", "Chủ hộ", 28, required=True),
    Column("cause", "Nguyên nhân nghèo", 30),
    Column("planned_support", "Hỗ trợ dự kiến", 40),
    Column("responsible_organisation", "Tổ chức, cá nhân giúp đỡ", 30),
)
HOUSEHOLDS_SHEET = "Hộ được hỗ trợ"


def _normalise(text: object) -> str:
    return " ".join(str(text).split()).casefold() if text is not None else ""


def _allowed_catalogues(plan: Plan) -> list[str]:
    return [code for code, refusal in selectors.plan_catalogues(plan).items() if refusal is None]


def _item_label(plan: Plan) -> str:
    tops = CatalogueItem.objects.filter(period_id=plan.cycle.period_id, parent__isnull=True)
    kinds = set(tops.values_list("kind", flat=True))
    return next((ITEM_LABELS[k] for k in kinds if k in ITEM_LABELS), ITEM_LABEL_DEFAULT)


def _source_column(source: FundingSource) -> Column:
    aliases = tuple(dict.fromkeys(a for a in (source.title_vi, source.short_en, source.title_en) if a))
    return Column(source.code, source_header(source), 16, required=True, amount=True, aliases=aliases)


def lines_columns(plan: Plan) -> tuple[Column, ...]:
    """The template's columns for the plan: the item, its catalogue when the plan may use more
    than one (2026), the content, one amount column per source of the plan's period (headed by
    the source's short label), then the agencies and beneficiaries."""
    item = Column("item", _item_label(plan), 12, required=True, aliases=ITEM_ALIASES)
    catalogue = (CATALOGUE_COLUMN,) if len(_allowed_catalogues(plan)) > 1 else ()
    sources = tuple(_source_column(source) for source in selectors.plan_sources(plan))
    return (item, *catalogue, CONTENT_COLUMN, *sources, *TEXT_COLUMNS)


def _reading_columns(plan: Plan) -> tuple[Column, ...]:
    """What an upload may hold: the template's columns, the catalogue column in any year (so a
    2026 sheet imported into a 2027 plan is refused, not silently re-read as 2026-2030), and
    the sources of other periods. A value under another period's source is then refused by
    ``validate_lines`` and named by its column, instead of being dropped unseen."""
    own = lines_columns(plan)
    columns = [*own, *((CATALOGUE_COLUMN,) if CATALOGUE_COLUMN not in own else ())]
    claimed = {_normalise(name) for column in columns for name in column.names}
    foreign = FundingSource.objects.exclude(period_id=plan.cycle.period_id).order_by("-period__first_year", "position")
    for source in foreign:
        column = _source_column(source)
        names = {_normalise(name) for name in column.names}
        if not names & claimed:
            columns.append(
                Column(column.key, column.label, column.width, amount=True, foreign=True, aliases=column.aliases)
            )
            claimed |= names
    return tuple(columns)


def _header_names(columns: tuple[Column, ...]) -> dict[str, Column]:
    """A header cell may hold the Vietnamese label, the key, or an alias."""
    return {_normalise(name): column for column in reversed(columns) for name in column.names}


# --- template --------------------------------------------------------------------------------


def lines_template_xlsx(plan: Plan) -> bytes:
    """An .xlsx of the plan's own lines to edit and import back, with the catalogue to pick from.

    One amount column per source of the plan's period; in a dual-catalogue year (2026) a
    "Danh mục" column says which catalogue each line's code belongs to. The item column is text
    (so "1.1" stays "1.1", not a number) and offers, as a drop-down list kept on a second sheet,
    the codes the plan's tier may budget in every catalogue the plan may use.
    """
    columns = lines_columns(plan)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = LINES_SHEET
    _template_header(sheet, columns)
    sources = selectors.plan_sources(plan)
    for row_number, line in enumerate(selectors.plan_lines(plan), start=2):
        _template_line(sheet, row_number, line, columns, selectors.line_amounts(line, sources))
    catalogue_rows = _catalogue_sheet(workbook.create_sheet(CATALOGUE_SHEET), plan)
    validation = DataValidation(
        type="list",
        formula1=f"'{CATALOGUE_SHEET}'!$A$2:$A${catalogue_rows + 1}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Mã không có trong danh mục"),
        error=_("Chọn một mã ở trang “%(sheet)s”.") % {"sheet": CATALOGUE_SHEET},
    )
    validation.add(f"A2:A{MAX_ROWS + 1}")
    sheet.add_data_validation(validation)
    if CATALOGUE_COLUMN in columns:
        letter = get_column_letter(columns.index(CATALOGUE_COLUMN) + 1)
        periods = DataValidation(
            type="list", formula1=f'"{",".join(_allowed_catalogues(plan))}"', allow_blank=True, showErrorMessage=True
        )
        periods.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(periods)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _template_header(sheet: Worksheet, columns: tuple[Column, ...]) -> None:
    for index, column in enumerate(columns, start=1):
        cell = put(sheet, 1, index, column.label)
        cell.font = Font(name=FONT_NAME, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if not column.amount:
            sheet.column_dimensions[letter].number_format = "@"
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "B2"


def _template_line(
    sheet: Worksheet, row_number: int, line: BudgetLine, columns: tuple[Column, ...], amounts: dict
) -> None:
    for index, column in enumerate(columns, start=1):
        number_format = "@"
        if column.amount:
            value, number_format = excel_amount(amounts[column.key])
        elif column.key == "item":
            value = line.item.code
        elif column.key == "catalogue":
            value = line.item.period.code
        else:
            value = getattr(line, column.key)
        cell = put(sheet, row_number, index, value)
        cell.number_format = number_format
        cell.font = Font(name=FONT_NAME)


def _catalogue_sheet(sheet: Worksheet, plan: Plan) -> int:
    """The items the plan's lines may take, in every catalogue it may use (projects with
    sub-projects, components and their contents take no money; an item reserved to other tiers
    is left out); returns the count."""
    append(sheet, [_("Mã"), _("Tên dự án, nội dung"), _("Danh mục")])
    tier = plan.unit.tier
    for item in selectors.catalogue_for_plan(plan):
        if item.budgetable and (not item.levels or tier in item.levels):
            append(sheet, [item.code, item.title_vi, item.period.code])
    for row in sheet.iter_rows():
        row[0].number_format = row[2].number_format = "@"
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 12, 80
    sheet.column_dimensions["C"].width = 12
    return sheet.max_row - 1


# --- parsing ---------------------------------------------------------------------------------


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": message})


def _read_bounded(fileobj: IO[bytes]) -> io.BytesIO:
    """The upload in memory (openpyxl needs to seek), refusing files beyond MAX_FILE_BYTES."""
    data = fileobj.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _file_error(_("Tệp quá lớn (tối đa %(mb)s MB).") % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
    return io.BytesIO(data)


# What openpyxl raises on a file that is not a readable workbook: not a zip, a zip without the
# workbook parts, broken XML or compressed data, values of the wrong type.
BROKEN_FILE_ERRORS = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    SyntaxError,  # xml.etree and lxml parse errors
    OSError,
    EOFError,
    zlib.error,
)


def _sheet_rows(data: io.BytesIO) -> list[tuple[Any, ...]]:
    """The first sheet's rows (cached values, not formulas), up to MAX_SCANNED_ROWS."""
    try:
        with warnings.catch_warnings():
            # Excel's own files routinely carry features openpyxl drops with a warning
            # (extended data validation, conditional formats): irrelevant to the values.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            workbook = load_workbook(data, read_only=True, data_only=True)
            try:
                rows = []
                for row in workbook.worksheets[0].iter_rows(values_only=True):
                    if len(rows) >= MAX_SCANNED_ROWS:
                        raise _file_error(_("Tệp có quá nhiều dòng (tối đa %(max)s dòng).") % {"max": MAX_ROWS})
                    rows.append(row)
                return rows
            finally:
                workbook.close()
    except BROKEN_FILE_ERRORS:
        raise _file_error(_("Tệp không phải là bảng tính Excel (.xlsx) hợp lệ.")) from None


def _find_header(rows: list[tuple[Any, ...]], spec: tuple[Column, ...]) -> tuple[int, dict[int, tuple[Column, str]]]:
    """The header's index in ``rows`` and which column index holds which column, with the
    header as the file spells it (the header is the row naming the first column of ``spec``)."""
    names = _header_names(spec)
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = {i: (names[_normalise(v)], _cell_text(v)) for i, v in enumerate(row) if _normalise(v) in names}
        found = [column for column, _header in columns.values()]
        if spec[0] in found:
            twice = list(dict.fromkeys(header for column, header in columns.values() if found.count(column) > 1))
            if twice:
                raise _file_error(_("Cột trùng nhau: %(columns)s.") % {"columns": ", ".join(twice)})
            missing = [c.label for c in spec if c.required and c not in found]
            if missing:
                raise _file_error(_("Thiếu cột: %(columns)s.") % {"columns": ", ".join(missing)})
            return index, columns
    raise _file_error(_("Không tìm thấy dòng tiêu đề (cột “%(label)s”).") % {"label": spec[0].label})


def _cell_text(value: Any) -> str:
    """Text as the officer sees it: the code 1.1 typed into a number cell comes back as "1.1"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class SheetTable:
    headers: dict[Column, str]  # each column found, with its header as the file spells it
    rows: list[tuple[int, dict[Column, Any]]]  # (Excel row number, values) of each non-blank row


def _read_table(rows: list[tuple[Any, ...]], spec: tuple[Column, ...]) -> SheetTable:
    """Every non-blank row below the header; amounts stay as the cell held them (numbers or
    text), everything else is text. At most MAX_ROWS data rows."""
    header_index, columns = _find_header(rows, spec)
    data = []
    for index in range(header_index + 1, len(rows)):
        values = rows[index]
        row = {column: values[i] if i < len(values) else None for i, (column, _header) in columns.items()}
        if all(_cell_text(value) == "" for value in row.values()):
            continue
        if len(data) >= MAX_ROWS:
            raise _file_error(_("Tệp có quá nhiều dòng (tối đa %(max)s dòng).") % {"max": MAX_ROWS})
        data.append((index + 1, {c: v if c.amount else _cell_text(v) for c, v in row.items()}))
    return SheetTable(headers=dict(columns.values()), rows=data)


def _line_row(values: dict[Column, Any]) -> dict[str, Any]:
    """A sheet row as ``services.validate_lines`` reads it (amounts nested by source code; a
    blank catalogue cell means the plan's own catalogue)."""
    row: dict[str, Any] = {c.key: v for c, v in values.items() if not c.amount and not (c.key == "catalogue" and not v)}
    row["amounts"] = {c.key: v for c, v in values.items() if c.amount and _cell_text(v) != "" and not _zero(c, v)}
    return row


def _zero(column: Column, value: Any) -> bool:
    """A zero under another period's source loses nothing: it is no amount, not an error."""
    if not column.foreign:
        return False
    try:
        return not services.parse_amount(value)
    except ValueError:
        return False


def _ambiguous_amounts(values: dict[Column, Any], headers: dict[Column, str]) -> dict[str, list[str]]:
    return {
        headers[column]: [_("“%(value)s” không rõ: ghi 1200 hoặc 1.200,0.") % {"value": value}]
        for column, value in values.items()
        if column.amount and isinstance(value, str) and AMBIGUOUS_AMOUNT.match(value.strip())
    }


def _by_column(row_errors: dict[str, Any], headers: dict[Column, str]) -> dict[str, list[str]]:
    """The service's errors of one row ({"item": [...], "amounts": {code: [...]}}) keyed by the
    header of the column the officer sees."""
    text_headers = {c.key: h for c, h in headers.items() if not c.amount}
    amount_headers = {c.key: h for c, h in headers.items() if c.amount}
    out: dict[str, list[str]] = {}
    for key, messages in row_errors.items():
        if key == "amounts" and isinstance(messages, dict):
            for code, source_messages in messages.items():
                out.setdefault(amount_headers.get(code, code), []).extend(source_messages)
        else:
            out.setdefault(text_headers.get(key, key), []).extend(messages)
    return out


def parse_lines_xlsx(plan: Plan, fileobj: IO[bytes]) -> list[dict[str, Any]]:
    """The lines of an uploaded template, validated, as rows for ``services.plan_lines_replace``
    (the shape of ``services.snapshot_lines``: item, catalogue, texts, non-zero amounts by source
    code as decimal strings).

    Raises ``ValidationError({"file": ...})`` when the file cannot be read as a lines sheet
    (not a workbook, no header, a source column of the period missing, a column twice, too
    large), and a ``StructuredValidationError`` whose ``detail`` is
    ``{"rows": {excel_row: {column header: [msg]}}}`` naming every bad row at once, each error
    under the column the officer sees ("NSTW - ĐTPT", "Mã dự án"), so the sheet is fixed in one pass.
    """
    table = _read_table(_sheet_rows(_read_bounded(fileobj)), _reading_columns(plan))
    row_numbers = [number for number, _values in table.rows]
    rows = [_line_row(values) for _number, values in table.rows]
    errors = {number: found for number, values in table.rows if (found := _ambiguous_amounts(values, table.headers))}
    clean: list[services.LineInput] = []
    try:
        clean = services.validate_lines(plan=plan, rows=rows)
    except StructuredValidationError as exc:
        for index, row_errors in exc.detail["lines"].items():
            number = row_numbers[index]
            errors[number] = {**_by_column(row_errors, table.headers), **errors.get(number, {})}
    if errors:
        raise StructuredValidationError({"rows": dict(sorted(errors.items()))})
    return [
        {
            "item": line.item.code,
            "catalogue": line.item.period.code,
            **line.texts,
            "amounts": {source.code: str(amount) for source, amount in line.amounts.items()},
        }
        for line in clean
    ]


@transaction.atomic
def import_lines_xlsx(*, actor: User, plan: Plan, fileobj: IO[bytes]) -> list[BudgetLine]:
    """Replace the plan's lines with those of the uploaded sheet; nothing changes on any error.

    The caller's right is checked first, so an outsider learns nothing from parsing errors."""
    services.plan_require_editor(actor, plan)
    rows = parse_lines_xlsx(plan, fileobj)
    return services.plan_lines_replace(actor=actor, plan=plan, rows=rows)


# --- households ------------------------------------------------------------------------------


def households_template_xlsx(plan: Plan) -> bytes:
    """An .xlsx of the commune plan's household list to fill in and import back."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = HOUSEHOLDS_SHEET
    _template_header(sheet, HOUSEHOLD_COLUMNS)
    for household in plan.households.order_by("position"):
        append(sheet, [getattr(household, column.key) for column in HOUSEHOLD_COLUMNS])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.number_format = "@"
            cell.font = Font(name=FONT_NAME)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parse_households_xlsx(plan: Plan, fileobj: IO[bytes]) -> list[dict[str, Any]]:
    """The rows of an uploaded household sheet, as rows for ``services.plan_households_replace``
    (which names bad rows; ``import_households_xlsx`` maps them to Excel row numbers)."""
    table = _read_table(_sheet_rows(_read_bounded(fileobj)), HOUSEHOLD_COLUMNS)
    return [{**{c.key: v for c, v in values.items()}, "_excel_row": number} for number, values in table.rows]


@transaction.atomic
def import_households_xlsx(*, actor: User, plan: Plan, fileobj: IO[bytes]) -> list:
    """Replace the household list from the sheet; errors name the Excel rows; nothing half-saved."""
    services.plan_require_editor(actor, plan)
    rows = parse_households_xlsx(plan, fileobj)
    numbers = [row.pop("_excel_row") for row in rows]
    try:
        return services.plan_households_replace(actor=actor, plan=plan, rows=rows)
    except StructuredValidationError as exc:
        raise StructuredValidationError(
            {"rows": {numbers[index]: errors for index, errors in exc.detail["households"].items()}}
        ) from None
