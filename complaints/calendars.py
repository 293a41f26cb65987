"""Load a hall's business calendar (opening hours, branch days) for the pure SLA module."""

from datetime import date

from complaints.models import BranchCalendarOverride
from complaints.sla import BusinessCalendar, china_day_override
from halls.models import Hall, OpeningHours


def branch_id_of(hall: Hall) -> int:
    region = hall.region
    return region.parent_id or region.pk


def hall_calendar(hall: Hall, *, from_day: date | None = None) -> BusinessCalendar:
    """The hall's weekly hours and China's calendar with its branch's overrides (two queries).
    `from_day` limits the overrides read to that day onwards."""
    hours = {
        row.weekday: (row.opens_at, row.closes_at) for row in OpeningHours.objects.filter(hall_id=hall.pk)
    }
    overrides = BranchCalendarOverride.objects.filter(branch_id=branch_id_of(hall))
    if from_day is not None:
        overrides = overrides.filter(date__gte=from_day)
    return BusinessCalendar(
        opening_hours=hours,
        day_override=china_day_override(dict(overrides.values_list("date", "is_working_day"))),
    )
