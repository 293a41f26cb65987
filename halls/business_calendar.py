"""The one business calendar: for a date and a branch, is it a statutory holiday, a make-up
working day (调休) or an ordinary day, and what is the holiday called. Rosters and complaint
deadlines both read it here.

Sources, first answer wins:

1. the branch's own days (`BranchCalendarDay`: a local day off or an extra working day);
2. the national table (`StatutoryCalendarDay`), entered by an administrator or loaded from a
   CSV file for a year the package does not cover yet;
3. the `chinese_calendar` package (the State Council's announced years it ships).

A year with no data at all (no table row and not in the package) is not an error: its days are
ordinary weekdays and weekends, and `uncovered_years` names it so pages can say that holidays and
make-up working days are not applied.

Reads are set-based: one query for the national rows of the years a range touches and one for
the branch's rows, whatever the length of the range. The package's data is read once per process.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from halls.models import BranchCalendarDay, CalendarDayKind, Region, StatutoryCalendarDay

__all__ = [
    "ORDINARY",
    "BusinessCalendarReader",
    "CalendarDay",
    "CalendarMap",
    "branch_id_of",
    "calendar_map",
    "calendar_reader",
    "package_covers",
    "package_days",
    "uncovered_years",
]

HOLIDAY = CalendarDayKind.HOLIDAY.value
MAKEUP_WORKDAY = CalendarDayKind.MAKEUP_WORKDAY.value
ORDINARY = "ordinary"


@dataclass(frozen=True)
class CalendarDay:
    """The answer for one date. `source` is "branch", "national", "package" or "none" (an
    ordinary day of a covered year, or any day of an uncovered one). `working` is the branch's
    explicit answer when it gave one (an extra working day on a weekday stays ORDINARY but is
    still a forced working day)."""

    day: date
    kind: str = ORDINARY
    name: str = ""
    source: str = "none"
    working: bool | None = None

    @property
    def is_holiday(self) -> bool:
        return self.kind == HOLIDAY

    @property
    def is_makeup_workday(self) -> bool:
        return self.kind == MAKEUP_WORKDAY

    @property
    def working_override(self) -> bool | None:
        """True for a forced working day, False for a day off, None for an ordinary day."""
        if self.working is not None:
            return self.working
        if self.kind == HOLIDAY:
            return False
        if self.kind == MAKEUP_WORKDAY:
            return True
        return None


@lru_cache(maxsize=1)
def _package() -> tuple[dict[date, str], dict[date, str], frozenset[int]]:
    """(holidays, make-up working days, years covered) from `chinese_calendar`, read once."""
    import chinese_calendar

    holidays = {d: str(name) for d, name in chinese_calendar.holidays.items()}
    # The package's `workdays` names only the weekend days worked in lieu of a holiday.
    makeup = {d: str(name) for d, name in chinese_calendar.workdays.items() if d.weekday() >= 5}
    years = frozenset(d.year for d in holidays)
    return holidays, makeup, years


def package_covers(year: int) -> bool:
    """Whether the installed chinese-calendar package ships this year's calendar."""
    return year in _package()[2]


def package_days(year: int) -> list[tuple[date, str, str]]:
    """(date, kind, name) of every holiday and make-up working day the package has for `year`."""
    holidays, makeup, _years = _package()
    rows = [(d, HOLIDAY, n) for d, n in holidays.items() if d.year == year]
    rows += [(d, MAKEUP_WORKDAY, n) for d, n in makeup.items() if d.year == year]
    return sorted(rows)


def branch_id_of(region: Region) -> int:
    """The branch a region belongs to (a branch is its own)."""
    return region.parent_id or region.pk


@dataclass
class BusinessCalendarReader:
    """Answers day by day from rows already read: the branch's days (date -> (working, note)),
    the national table (date -> (kind, name)), then the package; any other date is ordinary.
    `table_years` (years with table rows) only decides coverage. Pure: no query."""

    branch_days: dict[date, tuple[bool, str]] = field(default_factory=dict)
    national_days: dict[date, tuple[str, str]] = field(default_factory=dict)
    table_years: frozenset[int] = frozenset()

    def day(self, day: date) -> CalendarDay:
        if day in self.branch_days:
            working, note = self.branch_days[day]
            if not working:
                return CalendarDay(day, HOLIDAY, note, "branch", working=False)
            kind = MAKEUP_WORKDAY if day.weekday() >= 5 else ORDINARY
            return CalendarDay(day, kind, note, "branch", working=True)
        if day in self.national_days:
            kind, name = self.national_days[day]
            return CalendarDay(day, kind, name, "national")
        holidays, makeup, _years = _package()
        if day in holidays:
            return CalendarDay(day, HOLIDAY, holidays[day], "package")
        if day in makeup:
            return CalendarDay(day, MAKEUP_WORKDAY, makeup[day], "package")
        return CalendarDay(day)

    def working_override(self, day: date) -> bool | None:
        """The complaint SLA's day oracle (`complaints.sla.DayOverride`)."""
        return self.day(day).working_override

    def is_covered(self, year: int) -> bool:
        return year in self.table_years or package_covers(year)


@dataclass(frozen=True)
class CalendarMap:
    """The calendar between two dates (inclusive): the days that are not ordinary, and the years
    of the range that have no national data at all."""

    start: date
    end: date
    days: dict[date, CalendarDay]
    uncovered_years: tuple[int, ...] = ()

    def day(self, day: date) -> CalendarDay:
        return self.days.get(day) or CalendarDay(day)

    def kinds(self) -> dict[date, str]:
        """date -> kind for every holiday and make-up working day: the plain map rostering takes."""
        return {d: c.kind for d, c in self.days.items() if c.kind != ORDINARY}

    def names(self) -> dict[date, str]:
        return {d: c.name for d, c in self.days.items() if c.name}

    @property
    def holidays(self) -> frozenset[date]:
        return frozenset(d for d, c in self.days.items() if c.kind == HOLIDAY)

    @property
    def makeup_workdays(self) -> frozenset[date]:
        return frozenset(d for d, c in self.days.items() if c.kind == MAKEUP_WORKDAY)


def _years(start: date, end: date) -> range:
    return range(start.year, end.year + 1)


def calendar_reader(*, branch_id: int | None, start: date, end: date | None = None) -> BusinessCalendarReader:
    """A reader loaded with the national rows of every year from `start`'s to `end`'s (open-ended
    when `end` is None) and the branch's rows in that span. Two queries (one without a branch)."""
    first = date(start.year, 1, 1)
    national = StatutoryCalendarDay.objects.filter(date__gte=first)
    if end is not None:
        national = national.filter(date__lte=date(end.year, 12, 31))
    national_days = {d: (kind, name) for d, kind, name in national.values_list("date", "kind", "name")}
    branch_days: dict[date, tuple[bool, str]] = {}
    if branch_id is not None:
        rows = BranchCalendarDay.objects.filter(branch_id=branch_id, date__gte=start)
        if end is not None:
            rows = rows.filter(date__lte=end)
        branch_days = {
            d: (working, note) for d, working, note in rows.values_list("date", "is_working_day", "note")
        }
    return BusinessCalendarReader(
        branch_days=branch_days,
        national_days=national_days,
        table_years=frozenset(d.year for d in national_days),
    )


def calendar_map(*, start: date, end: date, branch_id: int | None = None) -> CalendarMap:
    """The calendar of a branch (or the national one) from `start` to `end`, inclusive. Never
    raises for a missing year: see `CalendarMap.uncovered_years`. Two queries."""
    if end < start:
        raise ValueError("end must not be before start")
    reader = calendar_reader(branch_id=branch_id, start=start, end=end)
    days = {}
    day = start
    while day <= end:
        answer = reader.day(day)
        if answer.kind != ORDINARY or answer.working is not None:
            days[day] = answer
        day += timedelta(days=1)
    missing = tuple(y for y in _years(start, end) if not reader.is_covered(y))
    return CalendarMap(start=start, end=end, days=days, uncovered_years=missing)


def uncovered_years(start: date, end: date) -> list[int]:
    """The years between `start` and `end` with no national calendar at all: neither loaded into
    the table nor shipped by the package. One query."""
    years = [y for y in _years(start, end) if not package_covers(y)]
    if not years:
        return []
    loaded = set(
        StatutoryCalendarDay.objects.filter(date__year__in=years)
        .values_list("date__year", flat=True)
        .distinct()
    )
    return [y for y in years if y not in loaded]


def uncovered_warning(years: Iterable[int]) -> str:
    """The page warning for years without a national calendar (empty when there are none)."""
    from django.utils.translation import gettext

    years = list(years)
    if not years:
        return ""
    return gettext(
        "The statutory holiday calendar for %(years)s has not been loaded; holidays and make-up "
        "working days are not applied."
    ) % {"years": ", ".join(str(y) for y in years)}
