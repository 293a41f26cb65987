"""China's statutory holidays and make-up working days (调休), from the `chinese_calendar` package.

The package ships the State Council's announced calendar for a fixed range of years; a date
outside it raises `CalendarYearNotCovered` instead of silently treating a holiday as a workday.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

__all__ = ["CalendarYearNotCovered", "HolidayCalendar", "holiday_calendar"]


class CalendarYearNotCovered(ValueError):
    """The holiday data of `chinese_calendar` does not cover the requested year."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"China's holiday calendar for {year} is not known to the installed chinese-calendar package; "
            "upgrade the package once the State Council has announced that year's holidays."
        )


@dataclass(frozen=True)
class HolidayCalendar:
    """Statutory holidays (days off, including the bridging days of a holiday block) and make-up
    working days (weekend days that are working days) between two dates, inclusive."""

    start: date
    end: date
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    names: dict[date, str]

    def is_rest_day(self, day: date) -> bool:
        """A day off by the calendar: a holiday, or a weekend day that is not a make-up working day."""
        return day in self.holidays or (day.weekday() >= 5 and day not in self.makeup_workdays)


def holiday_calendar(start: date, end: date) -> HolidayCalendar:
    """The calendar between `start` and `end` (inclusive). Raises CalendarYearNotCovered for a
    year the package has no data for, and ValueError when `end` is before `start`."""
    if end < start:
        raise ValueError("end must not be before start")
    holidays: set[date] = set()
    makeup: set[date] = set()
    names: dict[date, str] = {}
    day = start
    while day <= end:
        try:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError as exc:
            raise CalendarYearNotCovered(day.year) from exc
        if is_holiday and name is not None:
            holidays.add(day)
            names[day] = str(name)
        elif not is_holiday and day.weekday() >= 5:
            makeup.add(day)
            if name is not None:
                names[day] = str(name)
        day += timedelta(days=1)
    return HolidayCalendar(
        start=start, end=end, holidays=frozenset(holidays), makeup_workdays=frozenset(makeup), names=names
    )
