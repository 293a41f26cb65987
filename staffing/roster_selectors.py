"""Reads for rostering: forecasts, coverage per hour, version comparison, list querysets.

Each returns data with its joins applied; the list querysets run a fixed number of queries
whatever the number of rows.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, F, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay

from halls.models import Hall
from staffing.models import Assignment, Roster, ShiftType, TrafficRecord

__all__ = [
    "HourCoverage",
    "RosterChange",
    "assignment_list",
    "compare_rosters",
    "forecast_arrivals",
    "roster_coverage",
    "roster_list",
    "shift_type_list",
]


def hall_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def shift_type_list(*, user):
    return ShiftType.objects.visible_to(user).select_related("hall")


def roster_list(*, user):
    return (
        Roster.objects.visible_to(user)
        .select_related("hall", "generated_by", "published_by")
        .annotate(assignment_count=Count("assignments"))
    )


def assignment_list(*, user):
    return Assignment.objects.visible_to(user).select_related("roster__hall", "staff", "shift_type")


@dataclass(frozen=True)
class Forecast:
    arrivals: float
    handling_seconds: float


def forecast_arrivals(*, hall: Hall, before: date, weeks: int = 8) -> dict[tuple[int, int], Forecast]:
    """(weekday 0=Monday, hour) -> mean arrivals (tickets issued) of that weekday-hour over the
    `weeks` weeks before `before`, with the transaction-weighted mean handling time. Hours
    with no record in the window are absent (not zero): a new hall without history is covered
    by its class minimums alone. One query."""
    zone = hall_zone()
    since = datetime.combine(before - timedelta(weeks=weeks), datetime.min.time(), tzinfo=zone)
    until = datetime.combine(before, datetime.min.time(), tzinfo=zone)
    rows = (
        TrafficRecord.objects.filter(hall=hall, hour__gte=since, hour__lt=until)
        .annotate(
            weekday=ExtractIsoWeekDay("hour", tzinfo=zone), hour_of_day=ExtractHour("hour", tzinfo=zone)
        )
        .values("weekday", "hour_of_day")
        .annotate(
            arrivals=Avg("tickets_issued"),
            handled=Sum(F("transactions") * F("avg_handling_seconds")),
            transactions=Sum("transactions"),
            plain_handling=Avg("avg_handling_seconds"),
        )
    )
    out = {}
    for row in rows:
        handling = row["handled"] / row["transactions"] if row["transactions"] else row["plain_handling"]
        out[(row["weekday"] - 1, row["hour_of_day"])] = Forecast(float(row["arrivals"]), float(handling or 0))
    return out


@dataclass(frozen=True)
class HourCoverage:
    day: date
    hour: int
    required: int
    scheduled: int
    peak: bool
    forecast: float | None

    @property
    def gap(self) -> int:
        return max(self.required - self.scheduled, 0)

    @property
    def surplus(self) -> int:
        return max(self.scheduled - self.required, 0)


def roster_coverage(*, roster: Roster) -> list[HourCoverage]:
    """Scheduled against required staff in every open hour of the roster's period, with the
    gap and the surplus; the requirement is the one frozen with the roster. One query."""
    on_duty: dict[tuple[date, int], int] = defaultdict(int)
    for day, start, end in Assignment.objects.filter(roster=roster).values_list(
        "date", "shift_type__start", "shift_type__end"
    ):
        first = start.hour + (1 if start.minute else 0)
        for hour in range(first, end.hour):
            on_duty[(day, hour)] += 1
    out = []
    for day_text, hours in sorted(roster.requirement.items()):
        day = date.fromisoformat(day_text)
        for hour_text, need in sorted(hours.items(), key=lambda kv: int(kv[0])):
            hour = int(hour_text)
            out.append(
                HourCoverage(
                    day=day,
                    hour=hour,
                    required=need["required"],
                    scheduled=on_duty.get((day, hour), 0),
                    peak=need["peak"],
                    forecast=need.get("forecast"),
                )
            )
    return out


@dataclass(frozen=True)
class RosterChange:
    staff_id: int
    staff_name: str
    day: date
    before: str | None
    after: str | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


def compare_rosters(*, old: Roster, new: Roster) -> list[RosterChange]:
    """Every (person, date) whose shift differs between two versions, by date then name.
    Two queries."""

    def load(roster):
        return {
            (staff_id, day): (name, code)
            for staff_id, name, day, code in Assignment.objects.filter(roster=roster).values_list(
                "staff_id", "staff__name", "date", "shift_type__code"
            )
        }

    before, after = load(old), load(new)
    changes = []
    for key in before.keys() | after.keys():
        old_code = before.get(key, (None, None))[1]
        new_code = after.get(key, (None, None))[1]
        if old_code != new_code:
            name = (after.get(key) or before.get(key))[0]
            changes.append(RosterChange(key[0], name, key[1], old_code, new_code))
    return sorted(changes, key=lambda c: (c.day, c.staff_name, c.staff_id))


def transactions_by_hall(*, hall_ids, start: datetime, end: datetime) -> dict[int, int]:
    """Total transactions of each hall in [start, end) from its hourly TrafficRecords. A hall
    with no record in the window is absent (its traffic is unknown, not zero). One query."""
    return dict(
        TrafficRecord.objects.filter(hall_id__in=hall_ids, hour__gte=start, hour__lt=end)
        .order_by()
        .values("hall_id")
        .annotate(total=Sum("transactions"))
        .values_list("hall_id", "total")
    )
