"""Writing cells of the product's .xlsx files: text stays text.

openpyxl turns any string that starts with ``=`` into a formula (and ``#N/A`` and the other
error codes into error cells), so a budget line whose content is
``=HYPERLINK("https://evil.example","click")`` would reach every reader as a live formula
(CSV/formula injection). Every writer puts its values through ``put`` or ``append``:

- a string is stored as a string cell (``data_type = "s"``, a shared string in the file:
  Excel and LibreOffice show it, never evaluate it), with the characters XML cannot hold
  removed (``config.text.xml_safe``: old stored text cannot make a download fail);
- a string that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return also gets the
  cell style's ``quotePrefix`` (what Excel sets when one types ``'=…``): editing the cell and
  pressing Enter keeps it text instead of turning it into a formula;
- numbers, dates and None are written as they are (amounts stay numbers).

The product writes no formulas of its own (the sums are values, see planning.exports).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from config.text import xml_safe

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def set_value(cell: Cell, value: Any) -> Cell:
    """Write ``value`` into ``cell``; a string always as text (see the module docstring)."""
    if isinstance(value, str):
        text = xml_safe(value)
        cell.value = text
        cell.data_type = "s"
        if text.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def put(sheet: Worksheet, row: int, column: int, value: Any = None) -> Cell:
    """``sheet.cell(row, column, value)`` with ``value`` written by ``set_value``."""
    cell = sheet.cell(row, column)
    if value is not None:
        set_value(cell, value)
    return cell


def append(sheet: Worksheet, values: Iterable[Any]) -> int:
    """``sheet.append(values)`` with every value written by ``set_value``; returns the row."""
    values = list(values)
    sheet.append([xml_safe(value) for value in values])
    row = sheet._current_row  # the row append just wrote (openpyxl keeps no public name for it)
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            set_value(sheet.cell(row, column), value)
    return row
