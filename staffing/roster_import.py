"""Import a roster from a CSV or Excel (.xlsx) file into a new draft version of a hall's roster.

One row per shift: staff (employee number / badge), date, shift code, and optionally the post
and the window number. All or nothing, in two stages:

1. rows: every row is read and checked (unknown staff, staff neither of this hall nor lent to it
   on that date, unknown shift code, bad date or outside the period, bad post or window, the
   same person twice on one date, formula cells); any error refuses the file with every row's
   errors (`RosterImportInvalid`);
2. rules: the rows as a whole go through `check_roster`, the one definition of the roster rules
   that edits and generation use. A violation that an empty roster of the period does not have
   already (overlap, leave, rest, qualifications, hours and day limits…) is one the import adds,
   exactly what an edit would refuse: it refuses the file, naming the rows and people
   (`RosterImportRefused`). What an empty roster already breaks (minimum hours, a senior in
   every open hour), coverage gaps and unmet requests are findings shown with the new version,
   as the grid shows them.

Set-based: a fixed number of queries whatever the number of rows.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils.translation import gettext as _

from halls.audit import record_audit
from halls.exceptions import DomainError
from halls.models import Hall
from halls.permissions import require_permission
from staffing.models import Assignment, DutyPost, LoanRecord, Roster, ShiftType, Staff
from staffing.roster_services import (
    _assignment,
    _check_period,
    _next_version,
    build_problem,
    compute_requirement,
)
from staffing.rostering.problem import AssignmentSpec
from staffing.rostering.rules import Violation, check_roster, unmet_cover

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
XLSX_MAGIC = b"PK\x03\x04"
COLUMN_ALIASES = {
    "staff": "staff",
    "badge": "staff",
    "employee_no": "staff",
    "employee number": "staff",
    "工号": "staff",
    "员工编号": "staff",
    "date": "date",
    "日期": "date",
    "shift": "shift",
    "shift_code": "shift",
    "班次": "shift",
    "post": "post",
    "岗位": "post",
    "window": "window",
    "window_no": "window",
    "窗口": "window",
}
REQUIRED = ("staff", "date", "shift")
FORMULA_PREFIXES = ("=",)


class RosterImportInvalid(DomainError):
    """A roster file whose rows cannot be read or checked; nothing was saved. `errors` lists
    (row, column, message)."""

    field = "file"

    def __init__(self, message: str, *, errors=(), field: str | None = None):
        super().__init__(message, field=field)
        self.errors = list(errors)


class RosterImportRefused(DomainError):
    """Rows that read well but break roster rules; nothing was saved. `findings` lists
    (rows, person, message) for each violation the import would add."""

    field = "file"

    def __init__(self, message: str, *, findings=(), violations=(), field: str | None = None):
        super().__init__(message, field=field)
        self.findings = list(findings)
        self.violations = list(violations)


@dataclass(frozen=True)
class Finding:
    rows: tuple[int, ...]
    person: str
    message: str


@dataclass
class RosterImportResult:
    roster: Roster
    assignments: int
    findings: list[Finding] = field(default_factory=list)
    unmet_staff_hours: int = 0


# --- Reading the file ---------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _too_many() -> RosterImportInvalid:
    return RosterImportInvalid(
        _("The file has more than %(n)s rows; import a shorter period.") % {"n": MAX_ROWS},
        errors=[(MAX_ROWS + 2, "", _("too many rows"))],
    )


def _read_xlsx(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RosterImportInvalid(_("The file is not a readable Excel (.xlsx) workbook.")) from exc
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True, max_col=10):
            if len(rows) > MAX_ROWS:
                raise _too_many()
            rows.append(list(row[:10]))
        return rows
    finally:
        book.close()


def _read_csv(content: bytes) -> list[list]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterImportInvalid(
            _("The file is neither UTF-8 CSV nor an Excel workbook; save it as “CSV UTF-8” or .xlsx.")
        ) from exc
    if "\x00" in text:
        raise RosterImportInvalid(_("The file is not a CSV text file."))
    rows = []
    for row in csv.reader(io.StringIO(text)):
        if len(rows) > MAX_ROWS:
            raise _too_many()
        rows.append(row[:10])
    return rows


def read_roster_rows(content: bytes, *, filename: str = "") -> tuple[dict[str, int], list[tuple[int, dict]]]:
    """The column positions and (row number, {column: raw value}) of a CSV or .xlsx file (told
    apart by content, not by name). Refuses an unreadable file, missing columns and more than
    MAX_ROWS rows. Blank rows are skipped."""
    if len(content) > MAX_FILE_BYTES:
        raise RosterImportInvalid(
            _("The file is larger than %(mb)s MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        )
    rows = _read_xlsx(content) if content.startswith(XLSX_MAGIC) else _read_csv(content)
    if not rows:
        raise RosterImportInvalid(_("The file is empty."), errors=[(1, "", _("no header row"))])
    columns: dict[str, int] = {}
    for position, title in enumerate(rows[0]):
        key = COLUMN_ALIASES.get(_text(title).lower())
        if key and key not in columns:
            columns[key] = position
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise RosterImportInvalid(
            _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)},
            errors=[(1, c, _("missing column")) for c in missing],
        )
    out = []
    for number, raw in enumerate(rows[1:], start=2):
        values = {key: (raw[pos] if pos < len(raw) else None) for key, pos in columns.items()}
        if all(_text(v) == "" for v in values.values()):
            continue
        out.append((number, values))
    return columns, out


def _parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    parts = text.split("-")
    if len(parts) != 3:
        raise ValueError(text)
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


# --- The use case -------------------------------------------------------------------------------


@transaction.atomic
def import_roster(
    *, actor, hall: Hall, start: date, end: date, content: bytes, filename: str = ""
) -> RosterImportResult:
    """Import a roster file as a new draft version of `hall`'s roster for `start`–`end` (the
    module docstring has the two stages). Refuses a bad file (RosterImportInvalid, with every
    row's errors) and rows breaking roster rules (RosterImportRefused, naming rows and people);
    either way nothing is saved. Not idempotent: each import is a new version. Audited."""
    require_permission(actor, "roster.import", hall=hall)
    _check_period(start, end)
    _columns, rows = read_roster_rows(content, filename=filename)
    if not rows:
        raise RosterImportInvalid(_("The file has no shifts."), errors=[(2, "", _("no rows"))])

    badges = {_text(v.get("staff")) for _n, v in rows}
    people = {s.employee_no: s for s in Staff.objects.filter(employee_no__in=badges)}
    lent_in: dict[int, list[tuple[date, date]]] = {}
    for staff_id, first, last in LoanRecord.objects.filter(
        to_hall=hall, staff__employee_no__in=badges, start_date__lte=end, end_date__gte=start
    ).values_list("staff_id", "start_date", "end_date"):
        lent_in.setdefault(staff_id, []).append((first, last))
    shifts = {s.code: s for s in ShiftType.objects.filter(hall=hall, is_active=True)}

    errors: list[tuple[int, str, str]] = []
    specs: list[tuple[int, AssignmentSpec, int | None]] = []
    seen: dict[tuple[int, date], int] = {}
    for number, values in rows:
        formulas = [
            k for k, v in values.items() if isinstance(v, str) and v.strip().startswith(FORMULA_PREFIXES)
        ]
        if formulas:
            errors.extend((number, k, _("formulas are not accepted; paste values")) for k in formulas)
            continue
        badge = _text(values.get("staff"))
        person = people.get(badge)
        row_errors: list[tuple[int, str, str]] = []
        if not badge:
            row_errors.append((number, "staff", _("no employee number")))
        elif person is None:
            row_errors.append(
                (number, "staff", _("no staff member has employee number %(no)s") % {"no": badge})
            )
        try:
            day = _parse_date(values.get("date"))
        except (TypeError, ValueError):
            day = None
            row_errors.append((number, "date", _("not a date like 2026-03-02")))
        if day is not None and not start <= day <= end:
            row_errors.append((number, "date", _("%(day)s is outside the period") % {"day": day.isoformat()}))
        if (
            person is not None
            and day is not None
            and person.hall_id != hall.pk
            and not any(first <= day <= last for first, last in lent_in.get(person.pk, ()))
        ):
            row_errors.append(
                (
                    number,
                    "staff",
                    _("%(name)s is not on this hall's staff and not lent to it on %(day)s")
                    % {"name": person.name, "day": day.isoformat()},
                )
            )
        code = _text(values.get("shift"))
        if code not in shifts:
            row_errors.append(
                (number, "shift", _("this hall has no shift with code %(code)s") % {"code": code or "-"})
            )
        post = _text(values.get("post")).lower() or None
        if post is not None and post not in DutyPost.values:
            row_errors.append(
                (
                    number,
                    "post",
                    _("the post must be one of %(posts)s") % {"posts": ", ".join(DutyPost.values)},
                )
            )
        window_no = None
        window_text = _text(values.get("window"))
        if window_text:
            try:
                window_no = int(window_text)
                if not 1 <= window_no <= 999:
                    raise ValueError(window_text)
            except ValueError:
                row_errors.append((number, "window", _("the window number must be 1 to 999")))
        if person is not None and day is not None:
            key = (person.pk, day)
            if key in seen:
                row_errors.append(
                    (
                        number,
                        "date",
                        _("%(no)s already has a shift on this date in row %(row)s")
                        % {"no": badge, "row": seen[key]},
                    )
                )
            else:
                seen[key] = number
        if row_errors:
            errors.extend(row_errors)
            continue
        specs.append((number, AssignmentSpec(person.pk, day, code, post or ""), window_no))
    if errors:
        raise RosterImportInvalid(
            _("%(n)s error(s) in the file; nothing was imported.") % {"n": len(errors)}, errors=errors
        )

    requirement = compute_requirement(hall=hall, start=start, end=end)
    context = build_problem(hall=hall, start=start, end=end, requirement=requirement)
    problem = context.problem
    planned = []
    for number, spec, window_no in specs:
        if not spec.post:
            member = problem.staff_member(spec.staff_id)
            default = problem.assignment_post(member, spec.day) if member else DutyPost.WINDOW
            spec = AssignmentSpec(spec.staff_id, spec.day, spec.shift_code, default)
        planned.append((number, spec, window_no))
    row_of = {(spec.staff_id, spec.day): number for number, spec, _w in planned}
    rows_of_person: dict[int, list[int]] = {}
    for number, spec, _w in planned:
        rows_of_person.setdefault(spec.staff_id, []).append(number)
    names = {p.pk: p.name for p in people.values()}

    def finding(violation: Violation) -> Finding:
        if violation.staff_id is None:
            numbers: tuple[int, ...] = ()
        elif violation.day is not None and (violation.staff_id, violation.day) in row_of:
            numbers = (row_of[(violation.staff_id, violation.day)],)
        else:
            numbers = tuple(rows_of_person.get(violation.staff_id, ()))
        return Finding(numbers, names.get(violation.staff_id, ""), violation.message)

    assignments = [spec for _n, spec, _w in planned]
    already = {v.key for v in check_roster(problem, [])}
    violations = check_roster(problem, assignments)
    added = [v for v in violations if v.key not in already]
    if added:
        raise RosterImportRefused(
            _("The roster breaks %(n)s rule(s); nothing was imported.") % {"n": len(added)},
            findings=[finding(v) for v in added],
            violations=added,
        )

    roster = Roster.objects.create(
        hall=hall,
        period_start=start,
        period_end=end,
        version=_next_version(hall, start, end),
        method=Roster.Method.IMPORT,
        requirement=requirement,
    )
    Assignment.objects.bulk_create(
        [
            _assignment(roster, spec, context.shift_types[spec.shift_code], window_no)
            for _n, spec, window_no in planned
        ]
    )
    unmet = unmet_cover(problem, assignments)
    result = RosterImportResult(
        roster=roster,
        assignments=len(planned),
        findings=[finding(v) for v in violations],
        unmet_staff_hours=sum(u.missing for u in unmet if u.kind == "staff"),
    )
    record_audit(
        actor=actor,
        action="staffing.roster.imported",
        subject=roster,
        data={
            "version": roster.version,
            "assignments": result.assignments,
            "findings": len(result.findings),
            "file": filename[:200],
        },
    )
    return result
