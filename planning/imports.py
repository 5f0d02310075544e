"""Budget lines from Excel: a template pre-filled with the plan's lines, and its import.

Officers keep their figures in Excel; typing them again into a form is where mistakes creep in.
The import is all or nothing, like ``services.plan_lines_replace`` which it ends in, and it
checks every row with ``services.validate_lines`` so the rules are the API's rules. Errors name
the Excel row number the officer sees, not a list index.

Untrusted files are read with limits (size, rows scanned, data rows) and in openpyxl's streaming
mode, so a hostile or broken file costs a bounded amount of memory and time.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
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
from directory.models import User
from planning import selectors, services
from planning.exports import FONT_NAME, excel_amount
from planning.models import AMOUNT_FIELDS, BudgetLine, Plan

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
    key: str  # the key services.validate_lines reads
    label: str
    width: int
    required: bool = False


COLUMNS = (
    Column("item", "Mã dự án", 10, required=True),
    Column("content", "Nội dung", 50),
    Column("central_investment", "NSTW - vốn đầu tư", 16, required=True),
    Column("central_recurrent", "NSTW - vốn sự nghiệp", 16, required=True),
    Column("local", "NSĐP", 16, required=True),
    Column("other", "Vốn huy động khác", 16, required=True),
    Column("lead_agency", "Cơ quan chủ trì", 30),
    Column("coordinating_agencies", "Cơ quan phối hợp", 30),
    Column("beneficiaries", "Đối tượng thụ hưởng", 30),
)


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


def _header_names(columns: tuple[Column, ...]) -> dict[str, str]:
    """A header cell may hold the Vietnamese label or the key."""
    return {_normalise(name): column.key for column in columns for name in (column.label, column.key)}


# --- template --------------------------------------------------------------------------------


def lines_template_xlsx(plan: Plan) -> bytes:
    """An .xlsx of the plan's own lines to edit and import back, with the catalogue to pick from.

    The item column is text (so "1.1" stays "1.1", not a number) and offers the period's
    budgetable codes as a drop-down list kept on a second sheet.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = LINES_SHEET
    _template_header(sheet)
    lines = plan.lines.select_related("item").order_by("position")
    for row_number, line in enumerate(lines, start=2):
        _template_line(sheet, row_number, line)
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
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _template_header(sheet: Worksheet, columns: tuple[Column, ...] = COLUMNS) -> None:
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(1, index, column.label)
        cell.font = Font(name=FONT_NAME, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.column_dimensions["A"].number_format = "@"
    sheet.freeze_panes = "B2"


def _template_line(sheet: Worksheet, row_number: int, line: BudgetLine) -> None:
    for index, column in enumerate(COLUMNS, start=1):
        value = getattr(line, column.key)
        number_format = "@"
        if column.key == "item":
            value = line.item.code
        elif column.key in AMOUNT_FIELDS:
            value, number_format = excel_amount(value)
        cell = sheet.cell(row_number, index, value)
        cell.number_format = number_format
        cell.font = Font(name=FONT_NAME)


def _catalogue_sheet(sheet: Worksheet, plan: Plan) -> int:
    """The period's budgetable items (projects with sub-projects take no money); returns the count."""
    sheet.append([_("Mã dự án"), _("Tên dự án, tiểu dự án")])
    items = selectors.catalogue_for_plan(plan).filter(budgetable=True)
    for item in items:
        sheet.append([item.code, item.title_vi])
    for row in sheet.iter_rows():
        row[0].number_format = "@"
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 10, 80
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


def _find_header(rows: list[tuple[Any, ...]], spec: tuple[Column, ...]) -> tuple[int, dict[int, str]]:
    """The header's index in ``rows`` and which column index holds which key (the header is
    the row naming the first column of ``spec``)."""
    names = _header_names(spec)
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = {i: names[_normalise(v)] for i, v in enumerate(row) if _normalise(v) in names}
        if spec[0].key in columns.values():
            missing = [c.label for c in spec if c.required and c.key not in columns.values()]
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


def _data_rows(rows: list[tuple[Any, ...]], spec: tuple[Column, ...] = COLUMNS) -> Iterator[tuple[int, dict[str, Any]]]:
    """(Excel row number, row dict) for every non-blank row below the header; amounts stay as
    the cell held them (numbers or text), everything else is text."""
    header_index, columns = _find_header(rows, spec)
    count = 0
    for index in range(header_index + 1, len(rows)):
        values = rows[index]
        row = {key: values[i] if i < len(values) else None for i, key in columns.items()}
        if all(_cell_text(value) == "" for value in row.values()):
            continue
        count += 1
        if count > MAX_ROWS:
            raise _file_error(_("Tệp có quá nhiều dòng (tối đa %(max)s dòng).") % {"max": MAX_ROWS})
        amounts = {key: row[key] for key in AMOUNT_FIELDS if key in row}
        texts = {key: _cell_text(value) for key, value in row.items() if key not in AMOUNT_FIELDS}
        yield index + 1, {**texts, **amounts}


def _ambiguous_amounts(row: dict[str, Any]) -> dict[str, list[str]]:
    return {
        field: [_("“%(value)s” không rõ: ghi 1200 hoặc 1.200,0.") % {"value": row[field]}]
        for field in AMOUNT_FIELDS
        if isinstance(row.get(field), str) and AMBIGUOUS_AMOUNT.match(row[field].strip())
    }


def parse_lines_xlsx(plan: Plan, fileobj: IO[bytes]) -> list[dict[str, Any]]:
    """The lines of an uploaded template, validated, as rows for ``services.plan_lines_replace``.

    Raises ``ValidationError({"file": ...})`` when the file cannot be read as a lines sheet, and
    a ``StructuredValidationError`` whose ``detail`` is ``{"rows": {excel_row: {field: [msg]}}}``
    naming every bad row at once, so the officer fixes the sheet in one pass.
    """
    numbered = list(_data_rows(_sheet_rows(_read_bounded(fileobj))))
    row_numbers = [number for number, _row in numbered]
    rows = [row for _number, row in numbered]
    errors = {number: found for number, row in numbered if (found := _ambiguous_amounts(row))}
    clean: list[services.LineInput] = []
    try:
        clean = services.validate_lines(plan=plan, rows=rows)
    except StructuredValidationError as exc:
        for index, row_errors in exc.detail["lines"].items():
            errors[row_numbers[index]] = {**row_errors, **errors.get(row_numbers[index], {})}
    if errors:
        raise StructuredValidationError({"rows": dict(sorted(errors.items()))})
    return [{"item": line.item.code, **line.values} for line in clean]


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
        sheet.append([getattr(household, column.key) for column in HOUSEHOLD_COLUMNS])
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
    numbered = list(_data_rows(_sheet_rows(_read_bounded(fileobj)), HOUSEHOLD_COLUMNS))
    return [{**row, "_excel_row": number} for number, row in numbered]


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
