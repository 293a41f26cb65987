"""China's statutory holidays and make-up working days (调休) as plain data for the rostering
core. No ORM and no package look-ups here: the Django side reads the one business calendar
(`halls.business_calendar`: branch days, the national table, the chinese-calendar package) and
passes a plain map of day kinds in. A year without national data simply has no holidays; the
caller reports it through `uncovered_years` instead of failing.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

__all__ = ["HOLIDAY", "MAKEUP_WORKDAY", "HolidayCalendar", "holiday_calendar"]

HOLIDAY = "holiday"
MAKEUP_WORKDAY = "makeup_workday"


@dataclass(frozen=True)
class HolidayCalendar:
    """Statutory holidays (days off, including the bridging days of a holiday block) and make-up
    working days (weekend days that are working days) between two dates, inclusive, with their
    names and the years of the period for which no calendar was known."""

    start: date
    end: date
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    names: dict[date, str] = field(default_factory=dict)
    uncovered_years: tuple[int, ...] = ()

    def is_rest_day(self, day: date) -> bool:
        """A day off by the calendar: a holiday, or a weekend day that is not a make-up working day."""
        return day in self.holidays or (day.weekday() >= 5 and day not in self.makeup_workdays)


def holiday_calendar(
    start: date,
    end: date,
    kinds: Mapping[date, str] | None = None,
    *,
    names: Mapping[date, str] | None = None,
    uncovered_years: Iterable[int] = (),
) -> HolidayCalendar:
    """The calendar between `start` and `end` (inclusive) from `kinds` (date -> HOLIDAY or
    MAKEUP_WORKDAY; other dates are ordinary). Days outside the period are ignored. Raises
    ValueError when `end` is before `start` or a kind is unknown."""
    if end < start:
        raise ValueError("end must not be before start")
    holidays: set[date] = set()
    makeup: set[date] = set()
    for day, kind in (kinds or {}).items():
        if not start <= day <= end:
            continue
        if kind == HOLIDAY:
            holidays.add(day)
        elif kind == MAKEUP_WORKDAY:
            makeup.add(day)
        else:
            raise ValueError(f"unknown day kind {kind!r}")
    return HolidayCalendar(
        start=start,
        end=end,
        holidays=frozenset(holidays),
        makeup_workdays=frozenset(makeup),
        names={d: n for d, n in (names or {}).items() if start <= d <= end and n},
        uncovered_years=tuple(sorted(set(uncovered_years))),
    )
