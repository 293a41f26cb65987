"""Month arithmetic for training: programme validity, calendar grids and plan months."""

import calendar
from datetime import date, timedelta


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_end(day: date) -> date:
    return add_months(month_start(day), 1) - timedelta(days=1)


def qualification_expiry(granted_on: date, months: int) -> date:
    """The last valid day of a qualification granted on `granted_on` for `months` months."""
    return add_months(granted_on, months) - timedelta(days=1)


def month_weeks(month: date) -> list[list[date | None]]:
    """The weeks (Monday first) of `month` as lists of seven days, None outside the month."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    return [[day if day.month == month.month else None for day in week] for week in weeks]
