"""Writes for the national calendar table (`StatutoryCalendarDay`): load a year from a CSV file
(all or nothing, with every row's errors) or copy years from the chinese-calendar package.

Both replace the rows of each year they load, inside one transaction, so loading a corrected
file again leaves exactly the file's days. Holiday dates are never guessed: a year comes from
the file an administrator supplies (the State Council's announcement) or from the package.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from halls.audit import record_audit
from halls.business_calendar import package_covers, package_days
from halls.exceptions import DomainError
from halls.models import CalendarDayKind, StatutoryCalendarDay

CSV_COLUMNS = ("date", "kind", "name")
MAX_ROWS = 2000
KIND_ALIASES = {
    "holiday": CalendarDayKind.HOLIDAY,
    "休": CalendarDayKind.HOLIDAY,
    "makeup_workday": CalendarDayKind.MAKEUP_WORKDAY,
    "workday": CalendarDayKind.MAKEUP_WORKDAY,
    "班": CalendarDayKind.MAKEUP_WORKDAY,
}


class StatutoryCalendarInvalid(DomainError):
    """A calendar file with errors; nothing was saved. `errors` lists (row, field, message)."""

    field = "file"

    def __init__(self, message: str, *, errors=(), field: str | None = None):
        super().__init__(message, field=field)
        self.errors = list(errors)


@dataclass(frozen=True)
class CalendarLoadResult:
    years: list[int]
    holidays: int
    makeup_workdays: int


def parse_statutory_csv(content: bytes | str) -> list[tuple[date, str, str]]:
    """(date, kind, name) rows of a calendar CSV with the header date,kind,name (kind: holiday or
    makeup_workday, also 休/班). Raises StatutoryCalendarInvalid with every row's errors."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise StatutoryCalendarInvalid(_("The file is not UTF-8 text.")) from exc
    reader = csv.DictReader(io.StringIO(content))
    header = [(h or "").strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS[:2] if c not in header]
    if missing:
        raise StatutoryCalendarInvalid(
            _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)},
            errors=[(1, c, _("missing column")) for c in missing],
        )
    errors: list[tuple[int, str, str]] = []
    rows: list[tuple[date, str, str]] = []
    seen: dict[date, int] = {}
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise StatutoryCalendarInvalid(
                _("The file has more than %(n)s rows.") % {"n": MAX_ROWS},
                errors=[(number, "", _("too many rows"))],
            )
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if isinstance(v, str | None)}
        try:
            day = date.fromisoformat(row.get("date", ""))
        except ValueError:
            errors.append((number, "date", _("not a date like 2027-01-01")))
            continue
        kind = KIND_ALIASES.get(row.get("kind", "").lower())
        name = row.get("name", "")
        if kind is None:
            errors.append((number, "kind", _("must be holiday or makeup_workday")))
        elif kind == CalendarDayKind.MAKEUP_WORKDAY and day.weekday() < 5:
            errors.append((number, "kind", _("a make-up working day falls on a Saturday or Sunday")))
        if len(name) > 100:
            errors.append((number, "name", _("at most 100 characters")))
        if day in seen:
            errors.append((number, "date", _("repeats row %(row)s") % {"row": seen[day]}))
            continue
        seen[day] = number
        if kind is not None:
            rows.append((day, str(kind), name))
    if errors:
        raise StatutoryCalendarInvalid(
            _("%(n)s error(s) in the file; nothing was imported.") % {"n": len(errors)}, errors=errors
        )
    if not rows:
        raise StatutoryCalendarInvalid(_("The file has no days."), errors=[(1, "", _("no rows"))])
    return rows


def _replace_years(*, actor, rows: list[tuple[date, str, str]], source: str) -> CalendarLoadResult:
    years = sorted({d.year for d, _k, _n in rows})
    StatutoryCalendarDay.objects.filter(date__year__in=years).delete()
    created = StatutoryCalendarDay.objects.bulk_create(
        [StatutoryCalendarDay(date=d, kind=k, name=n) for d, k, n in rows]
    )
    result = CalendarLoadResult(
        years=years,
        holidays=sum(1 for c in created if c.kind == CalendarDayKind.HOLIDAY),
        makeup_workdays=sum(1 for c in created if c.kind == CalendarDayKind.MAKEUP_WORKDAY),
    )
    record_audit(
        actor=actor,
        action="halls.statutory_calendar.loaded",
        subject=created[0],
        data={
            "source": source,
            "years": years,
            "holidays": result.holidays,
            "makeup": result.makeup_workdays,
        },
    )
    return result


@transaction.atomic
def load_statutory_calendar_csv(*, actor, content: bytes | str) -> CalendarLoadResult:
    """Load the national calendar from a CSV file: every year in the file replaces that year's
    rows. All or nothing: a bad row raises StatutoryCalendarInvalid (with every row's errors)
    and writes nothing. Loading the same file twice leaves the same rows. Audited."""
    return _replace_years(actor=actor, rows=parse_statutory_csv(content), source="csv")


@transaction.atomic
def load_statutory_calendar_from_package(*, actor, years: list[int]) -> CalendarLoadResult:
    """Copy the package's holidays and make-up working days of `years` into the table (replacing
    those years' rows). Refuses, writing nothing, a year the package does not cover. Audited."""
    missing = [y for y in years if not package_covers(y)]
    if missing or not years:
        raise StatutoryCalendarInvalid(
            _("The chinese-calendar package does not cover %(years)s.")
            % {"years": ", ".join(str(y) for y in missing) or "-"},
            field="years",
        )
    rows = [row for year in sorted(set(years)) for row in package_days(year)]
    return _replace_years(actor=actor, rows=rows, source="package")
