"""Complaint deadline arithmetic: plain functions over datetimes, weekly opening hours and a
holiday oracle (in production `halls.business_calendar`, the one calendar rosters read too). No ORM; everything is counted in Asia/Shanghai (China has no daylight saving).

Two ways of counting a time limit:

- calendar time: the deadline is the start plus the limit, pauses add their wall-clock length;
- business time: only the hall's opening hours count, on days that are not days off.

Which days are open for business:

- `day_override(day)` (the holiday oracle) answers True for a forced working day (a make-up
  working day, 调休, or a branch's extra working day), False for a day off (a statutory
  holiday or a branch's day off) and None for an ordinary day;
- an ordinary day is open during the hall's hours for its weekday (no hours: closed);
- a forced working day is open during its weekday's hours or, when the hall keeps no hours
  that weekday (a Saturday make-up day in a Monday–Friday hall), during the hall's first
  weekday (Monday–Friday) hours, else DEFAULT_HOURS.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_HOURS = (time(9, 0), time(18, 0))
# A limit of 2,000 hours never needs more than this many days, even at one open hour a week.
MAX_DAYS_SCANNED = 366 * 3

DayOverride = Callable[[date], bool | None]


def no_overrides(day: date) -> bool | None:
    return None


@dataclass(frozen=True)
class BusinessCalendar:
    """A hall's weekly opening hours (weekday 0 = Monday -> (opens, closes)) and its day oracle."""

    opening_hours: Mapping[int, tuple[time, time]]
    day_override: DayOverride = field(default=no_overrides)

    def hours_on(self, day: date) -> tuple[time, time] | None:
        override = self.day_override(day)
        if override is False:
            return None
        hours = self.opening_hours.get(day.weekday())
        if hours is not None or override is None:
            return hours
        for weekday in range(5):
            if weekday in self.opening_hours:
                return self.opening_hours[weekday]
        return DEFAULT_HOURS


def to_shanghai(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("SLA arithmetic needs timezone-aware datetimes.")
    return moment.astimezone(SHANGHAI)


def business_intervals(start: datetime, calendar: BusinessCalendar) -> Iterator[tuple[datetime, datetime]]:
    """Open intervals from `start` onwards, in order, clipped to begin no earlier than `start`."""
    start = to_shanghai(start)
    day = start.date()
    for _ in range(MAX_DAYS_SCANNED):
        hours = calendar.hours_on(day)
        if hours is not None:
            opens = datetime.combine(day, hours[0], tzinfo=SHANGHAI)
            closes = datetime.combine(day, hours[1], tzinfo=SHANGHAI)
            if closes > start:
                yield max(opens, start), closes
        day += timedelta(days=1)


def add_business_time(start: datetime, duration: timedelta, calendar: BusinessCalendar) -> datetime:
    """The moment when `duration` of open time has passed since `start`. A zero duration returns
    `start` itself; a positive one ends inside an open interval (at its close at the latest).
    Raises ValueError when the calendar has no open time within MAX_DAYS_SCANNED days."""
    if duration < timedelta(0):
        raise ValueError("A duration to add cannot be negative.")
    start = to_shanghai(start)
    if duration == timedelta(0):
        return start
    remaining = duration
    for opens, closes in business_intervals(start, calendar):
        available = closes - opens
        if remaining <= available:
            return opens + remaining
        remaining -= available
    raise ValueError("The hall has no business hours in the time scanned.")


def business_time_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> timedelta:
    """Open time within [start, end); zero when end is not after start."""
    start, end = to_shanghai(start), to_shanghai(end)
    total = timedelta(0)
    if end <= start:
        return total
    for opens, closes in business_intervals(start, calendar):
        if opens >= end:
            break
        total += min(closes, end) - opens
    return total


def compute_due_at(
    received_at: datetime, *, hours: int, business_hours: bool, calendar: BusinessCalendar | None
) -> datetime:
    """The deadline of a complaint received at `received_at` with a limit of `hours`."""
    limit = timedelta(hours=hours)
    if not business_hours:
        return to_shanghai(received_at) + limit
    if calendar is None:
        raise ValueError("Business-hours deadlines need the hall's calendar.")
    return add_business_time(received_at, limit, calendar)


def paused_time(
    paused_from: datetime, paused_until: datetime, *, business_hours: bool, calendar: BusinessCalendar | None
) -> timedelta:
    """How much of the time limit a pause lasted: wall-clock, or open time when business hours count."""
    if not business_hours:
        return max(to_shanghai(paused_until) - to_shanghai(paused_from), timedelta(0))
    return business_time_between(paused_from, paused_until, calendar)


def extend_for_pause(
    due_at: datetime,
    paused_from: datetime,
    paused_until: datetime,
    *,
    business_hours: bool,
    calendar: BusinessCalendar | None,
) -> datetime:
    """The deadline moved by the (business) time spent waiting on the customer."""
    pause = paused_time(paused_from, paused_until, business_hours=business_hours, calendar=calendar)
    if not business_hours:
        return to_shanghai(due_at) + pause
    return add_business_time(due_at, pause, calendar)


def deadline_state(due_at: datetime, now: datetime, *, due_soon: timedelta) -> str:
    """ "overdue" once the deadline has passed, "due_soon" within `due_soon` of it, else "on_track"."""
    if now >= due_at:
        return "overdue"
    if due_at - now <= due_soon:
        return "due_soon"
    return "on_track"
