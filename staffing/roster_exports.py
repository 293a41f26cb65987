"""The roster as an Excel sheet for the hall's notice board: staff × days with each shift's code
in its colour, paid hours per person, a legend of the shift types, printed on A4 landscape.

Every text cell goes through `halls.exports.safe_cell` and is stored as text, so a name such as
"=HYPERLINK(...)" is shown, never run.
"""

from io import BytesIO

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from halls.exports import safe_cell
from staffing.roster_display import text_on, weekday_short
from staffing.roster_selectors import RosterGrid, paid_hours

HEADER_ROW = 3
FIRST_DAY_COLUMN = 4
THIN = Side(style="thin", color="9AA5B1")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F2")
WEEKEND_FILL = PatternFill("solid", fgColor="F2F2F2")
LEAVE_FILL = PatternFill("solid", fgColor="FFF2CC")
CENTRE = Alignment(horizontal="center", vertical="center")


def _write(worksheet, row: int, column: int, value, **style):
    cell = worksheet.cell(row=row, column=column, value=safe_cell(value))
    if isinstance(cell.value, str):
        cell.data_type = TYPE_STRING  # openpyxl would store text starting with "=" as a formula
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def roster_workbook(grid: RosterGrid) -> bytes:
    """The .xlsx bytes of one roster version (see the module docstring)."""
    roster = grid.roster
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(safe_cell(f"{roster.hall.code} v{roster.version}"))[:31]
    last_column = FIRST_DAY_COLUMN + len(grid.days)

    title = _("%(hall)s roster %(start)s – %(end)s, version %(version)s (%(status)s)") % {
        "hall": roster.hall.name,
        "start": date_format(roster.period_start, "SHORT_DATE_FORMAT"),
        "end": date_format(roster.period_end, "SHORT_DATE_FORMAT"),
        "version": roster.version,
        "status": roster.get_status_display(),
    }
    _write(sheet, 1, 1, title, font=Font(bold=True, size=14))
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_column)

    headers = [_("Employee number"), _("Name"), _("Post")]
    for column, text in enumerate(headers, start=1):
        _write(sheet, HEADER_ROW, column, text, font=Font(bold=True), fill=HEADER_FILL, border=BORDER)
    for offset, day in enumerate(grid.days):
        label = f"{day.day.month}/{day.day.day}\n{weekday_short(day.day)}"
        if day.holiday:
            label += "\n" + pgettext("roster day", "Holiday")
        elif day.makeup_workday:
            label += "\n" + pgettext("roster day", "Make-up day")
        _write(
            sheet,
            HEADER_ROW,
            FIRST_DAY_COLUMN + offset,
            label,
            font=Font(bold=True),
            fill=WEEKEND_FILL if day.weekend or day.holiday else HEADER_FILL,
            border=BORDER,
            alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        )
    _write(
        sheet, HEADER_ROW, last_column, _("Paid hours"), font=Font(bold=True), fill=HEADER_FILL, border=BORDER
    )

    fills: dict[str, PatternFill] = {}
    row_number = HEADER_ROW
    for row in grid.rows:
        row_number += 1
        _write(sheet, row_number, 1, row.staff.employee_no, border=BORDER)
        _write(sheet, row_number, 2, row.staff.name, border=BORDER)
        _write(sheet, row_number, 3, row.staff.get_post_display(), border=BORDER)
        for offset, (cell, day) in enumerate(zip(row.cells, grid.days, strict=True)):
            column = FIRST_DAY_COLUMN + offset
            if cell.assignment is not None:
                shift = cell.assignment.shift_type
                colour = shift.colour.lstrip("#").upper()
                fill = fills.setdefault(colour, PatternFill("solid", fgColor=colour))
                font_colour = "FFFFFF" if text_on(shift.colour) == "on-dark" else "212529"
                _write(
                    sheet,
                    row_number,
                    column,
                    shift.code,
                    fill=fill,
                    font=Font(bold=True, color=font_colour),
                    alignment=CENTRE,
                    border=BORDER,
                )
            elif cell.on_leave:
                _write(
                    sheet,
                    row_number,
                    column,
                    pgettext("roster cell", "Leave"),
                    fill=LEAVE_FILL,
                    alignment=CENTRE,
                    border=BORDER,
                )
            else:
                _write(
                    sheet,
                    row_number,
                    column,
                    None,
                    fill=WEEKEND_FILL if day.weekend or day.holiday else PatternFill(),
                    border=BORDER,
                )
        _write(sheet, row_number, last_column, round(row.paid_hours, 2), alignment=CENTRE, border=BORDER)
    last_row = row_number

    row_number += 2
    _write(sheet, row_number, 1, _("Shift types"), font=Font(bold=True))
    for shift in grid.shift_types:
        row_number += 1
        colour = shift.colour.lstrip("#").upper()
        _write(
            sheet,
            row_number,
            1,
            shift.code,
            fill=fills.setdefault(colour, PatternFill("solid", fgColor=colour)),
            font=Font(bold=True, color="FFFFFF" if text_on(shift.colour) == "on-dark" else "212529"),
            alignment=CENTRE,
        )
        _write(sheet, row_number, 2, shift.name)
        _write(
            sheet,
            row_number,
            3,
            _("%(start)s–%(end)s, %(hours)s h paid")
            % {
                "start": f"{shift.start:%H:%M}",
                "end": f"{shift.end:%H:%M}",
                "hours": f"{paid_hours(shift):g}",
            },
        )

    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["C"].width = 12
    for column in range(FIRST_DAY_COLUMN, last_column):
        sheet.column_dimensions[get_column_letter(column)].width = 5.5
    sheet.column_dimensions[get_column_letter(last_column)].width = 9
    sheet.row_dimensions[HEADER_ROW].height = 44
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=FIRST_DAY_COLUMN)

    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5, header=0.25, footer=0.25)
    sheet.print_options.horizontalCentered = True
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.print_area = f"A1:{get_column_letter(last_column)}{max(last_row, row_number)}"
    sheet.oddFooter.center.text = _("Page &P of &N")

    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
