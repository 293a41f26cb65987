"""Spreadsheet exports shared by every app: cell escaping and a small workbook builder.

A spreadsheet runs a cell whose text starts with `=`, `+`, `-` or `@` (and, in some
programs, a tab or carriage return) as a formula, so text from customers or staff
could execute on the reader's machine (CSV/formula injection, OWASP). `safe_cell`
prefixes such text with an apostrophe and every string is written as text.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MAX_SHEET_TITLE = 31


def safe_cell(value):
    """The value to write into a cell: text that a spreadsheet would run as a formula gets a
    leading apostrophe; numbers, dates and None pass through; timezone-aware datetimes become
    naive local ones (spreadsheets have no timezones)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else _naive_local(value)
    if not isinstance(value, str):
        value = str(value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _naive_local(value: datetime) -> datetime:
    from django.utils import timezone

    return timezone.localtime(value).replace(tzinfo=None)


@dataclass
class Sheet:
    """One worksheet: a title, a header row and data rows (any iterable of sequences)."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence] = field(default_factory=list)


def build_workbook(sheets: Sequence[Sheet]) -> Workbook:
    """A workbook with one worksheet per `Sheet`, bold headers, every cell passed through
    `safe_cell` and every string stored as text (never as a formula)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=str(safe_cell(str(sheet.title)))[:_MAX_SHEET_TITLE])
        _append(worksheet, sheet.headers, bold=True)
        for row in sheet.rows:
            _append(worksheet, row)
        for index, header in enumerate(sheet.headers, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = max(10, len(str(header)) * 2 + 2)
    return workbook


def _append(worksheet, values: Sequence, *, bold: bool = False) -> None:
    worksheet.append([safe_cell(value) for value in values])
    for cell in worksheet[worksheet.max_row]:
        if isinstance(cell.value, str):
            # openpyxl stores a str starting with "=" as a formula; force text.
            cell.data_type = TYPE_STRING
        if bold:
            cell.font = Font(bold=True)


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The .xlsx file of `build_workbook(sheets)` as bytes (serve with XLSX_CONTENT_TYPE)."""
    buffer = BytesIO()
    build_workbook(sheets).save(buffer)
    return buffer.getvalue()


def read_workbook_rows(content: bytes) -> dict[str, list[tuple]]:
    """Every worksheet's rows as tuples of values, by title: for tests and imports."""
    workbook = load_workbook(BytesIO(content))
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in workbook.worksheets}
