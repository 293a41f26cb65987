"""Load a hall's business calendar (opening hours, and the day oracle of the one business
calendar in `halls.business_calendar`) for the pure SLA module."""

from datetime import date

from django.utils import timezone

from complaints.sla import BusinessCalendar
from halls.business_calendar import branch_id_of, calendar_reader
from halls.models import Hall, OpeningHours


def hall_calendar(hall: Hall, *, from_day: date | None = None) -> BusinessCalendar:
    """The hall's weekly hours and its branch's business calendar from `from_day` on (today when
    not given): branch days, the national table, then the chinese-calendar package; a year with
    no national data counts its days as ordinary. Three queries."""
    hours = {
        row.weekday: (row.opens_at, row.closes_at) for row in OpeningHours.objects.filter(hall_id=hall.pk)
    }
    reader = calendar_reader(branch_id=branch_id_of(hall.region), start=from_day or timezone.localdate())
    return BusinessCalendar(opening_hours=hours, day_override=reader.working_override)
