"""Reads for rostering: forecasts, coverage per hour, version comparison, list querysets.

Each returns data with its joins applied; the list querysets run a fixed number of queries
whatever the number of rows.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Q, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay

from halls.models import Hall
from staffing.models import Assignment, Leave, Roster, ShiftType, Staff, StaffRequest, TrafficRecord
from staffing.rostering.problem import AssignmentSpec, ShiftSpec, date_range
from staffing.rostering.rules import Violation, check_roster

__all__ = [
    "CoverageHeatmap",
    "HourCoverage",
    "RosterChange",
    "RosterGrid",
    "assignment_list",
    "compare_rosters",
    "coverage_heatmap",
    "forecast_arrivals",
    "hall_leave_list",
    "hall_request_list",
    "roster_coverage",
    "roster_grid",
    "roster_hall_list",
    "roster_list",
    "shift_type_list",
    "staff_schedule",
]


def hall_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def shift_type_list(*, user):
    return ShiftType.objects.visible_to(user).select_related("hall")


def hall_shift_types(*, hall: Hall):
    """A hall's shift types for its shift-type page, active first then by start time, each with
    `in_published_roster` (a published or superseded roster has a shift of it: its code and times
    are frozen, see `roster_services.update_shift_type`)."""
    published = Assignment.objects.filter(
        shift_type=OuterRef("pk"), roster__status__in=(Roster.Status.PUBLISHED, Roster.Status.SUPERSEDED)
    )
    return (
        ShiftType.objects.filter(hall=hall)
        .annotate(in_published_roster=Exists(published))
        .order_by("-is_active", "start", "code")
    )


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


# --- Pages ------------------------------------------------------------------------------------

POST_ORDER = {
    Staff.Post.HALL_MANAGER: 0,
    Staff.Post.DUTY_MANAGER: 1,
    Staff.Post.VIP_MANAGER: 2,
    Staff.Post.CLERK: 3,
    Staff.Post.GUIDE: 4,
}


def roster_hall_list(*, user):
    """Visible halls for the rosters index, with the last day covered by a published roster and
    the number of drafts (a clerk's page shows only the former): one query at any size."""
    return (
        Hall.objects.visible_to(user)
        .select_related("region")
        .annotate(
            published_until=Max("rosters__period_end", filter=Q(rosters__status=Roster.Status.PUBLISHED)),
            draft_count=Count("rosters", filter=Q(rosters__status=Roster.Status.DRAFT)),
        )
        .order_by("code", "pk")
    )


@dataclass(frozen=True)
class GridDay:
    day: date
    weekend: bool
    holiday: bool
    makeup_workday: bool
    name: str = ""


@dataclass
class GridCell:
    """One person on one day: the assignment (with its shift type) or None, approved leave, the
    person's requests for the day, and the rule violations that name this person and day."""

    staff_id: int
    day: date
    column: GridDay
    assignment: Assignment | None
    on_leave: bool
    requests: list[StaffRequest]
    violations: list[Violation]


@dataclass
class GridRow:
    staff: Staff
    cells: list[GridCell]
    paid_hours: float
    shift_count: int


@dataclass
class RosterGrid:
    """Everything the roster grid page shows: days, one row per person, shift types, the rule
    violations of the roster as it stands, and the generator's unmet requests with names."""

    roster: Roster
    days: list[GridDay]
    rows: list[GridRow]
    shift_types: list[ShiftType]
    violations: list[Violation]
    staff_names: dict[int, str]
    uncovered_years: tuple[int, ...] = ()

    def row(self, staff_id: int) -> GridRow | None:
        return next((r for r in self.rows if r.staff.pk == staff_id), None)

    def cell(self, staff_id: int, day: date) -> GridCell | None:
        row = self.row(staff_id)
        return next((c for c in row.cells if c.day == day), None) if row else None

    @property
    def day_violations(self) -> list[Violation]:
        """Violations of a whole day (no senior on duty), not tied to one person."""
        return [v for v in self.violations if v.staff_id is None]


def paid_hours(shift: ShiftType) -> float:
    return ShiftSpec(shift.code, shift.start, shift.end, shift.break_minutes).paid_hours


def roster_grid(*, roster: Roster) -> RosterGrid:
    """The roster as staff × days: the people the hall may roster over the period (its staff and
    staff lent in, managers first) plus anyone already on the roster, each day's assignment,
    approved leave and requests, and every rule the roster breaks now (check_roster on the
    requirement frozen with the roster). A fixed number of queries whatever the staff count."""
    # roster_services imports this module, so the problem builder is imported here.
    from staffing.roster_services import build_problem

    context = build_problem(
        hall=roster.hall, start=roster.period_start, end=roster.period_end, requirement=roster.requirement
    )
    problem = context.problem
    assignments = list(
        Assignment.objects.filter(roster=roster).select_related("shift_type").order_by("date", "starts_at")
    )
    people = dict(context.staff)
    absent = {a.staff_id for a in assignments} - set(people)
    if absent:
        people.update(Staff.objects.in_bulk(absent))
    violations = check_roster(
        problem, [AssignmentSpec(a.staff_id, a.date, a.shift_type.code, a.post) for a in assignments]
    )
    by_cell: dict[tuple[int, date], Assignment] = {(a.staff_id, a.date): a for a in assignments}
    requests: dict[tuple[int, date], list[StaffRequest]] = defaultdict(list)
    for request in context.requests.values():
        requests[(request.staff_id, request.date)].append(request)
    flagged: dict[tuple[int, date], list[Violation]] = defaultdict(list)
    for violation in violations:
        if violation.staff_id is not None and violation.day is not None:
            flagged[(violation.staff_id, violation.day)].append(violation)
    days = [
        GridDay(
            day=d,
            weekend=d.weekday() >= 5 and d not in problem.makeup_workdays,
            holiday=d in problem.holidays,
            makeup_workday=d in problem.makeup_workdays,
            name=context.calendar.names.get(d, "") if context.calendar else "",
        )
        for d in date_range(roster.period_start, roster.period_end)
    ]
    rows = []
    for person in sorted(people.values(), key=lambda s: (POST_ORDER.get(s.post, 9), s.employee_no)):
        cells = [
            GridCell(
                staff_id=person.pk,
                day=d.day,
                column=d,
                assignment=by_cell.get((person.pk, d.day)),
                on_leave=(person.pk, d.day) in problem.leave,
                requests=requests.get((person.pk, d.day), []),
                violations=flagged.get((person.pk, d.day), []),
            )
            for d in days
        ]
        worked = [c.assignment for c in cells if c.assignment is not None]
        rows.append(
            GridRow(
                staff=person,
                cells=cells,
                paid_hours=sum(paid_hours(a.shift_type) for a in worked),
                shift_count=len(worked),
            )
        )
    return RosterGrid(
        roster=roster,
        days=days,
        rows=rows,
        shift_types=list(context.shift_types.values()),
        violations=violations,
        staff_names={pk: person.name for pk, person in people.items()},
        uncovered_years=context.calendar.uncovered_years if context.calendar else (),
    )


@dataclass(frozen=True)
class CoverageHeatmap:
    """Open hours × days of a roster: `rows` holds (hour, [HourCoverage or None per day]), None
    where the hall is closed. Totals are staff-hours short of and above the requirement."""

    days: list[date]
    rows: list[tuple[int, list[HourCoverage | None]]]
    gap_hours: int
    missing_staff_hours: int
    surplus_staff_hours: int


def coverage_heatmap(*, roster: Roster) -> CoverageHeatmap:
    """`roster_coverage` laid out as open hours × days for the heatmap. One query."""
    coverage = roster_coverage(roster=roster)
    days = date_range(roster.period_start, roster.period_end)
    by_key = {(c.day, c.hour): c for c in coverage}
    hours = sorted({c.hour for c in coverage})
    return CoverageHeatmap(
        days=days,
        rows=[(hour, [by_key.get((d, hour)) for d in days]) for hour in hours],
        gap_hours=sum(1 for c in coverage if c.gap),
        missing_staff_hours=sum(c.gap for c in coverage),
        surplus_staff_hours=sum(c.surplus for c in coverage),
    )


@dataclass
class ScheduleDay:
    """One day of a person's schedule; `published` tells a day off (a published roster of their
    hall covers the day) from a day not rostered yet."""

    day: date
    assignments: list[Assignment]
    leave: list[Leave]
    published: bool


def staff_schedule(*, staff: Staff, start: date, end: date) -> list[ScheduleDay]:
    """One person's days from `start` to `end`: their assignments in published rosters (any hall,
    so loans show), approved leave, and whether a published roster of their hall covers the day.
    Drafts never show. Three queries."""
    assignments = defaultdict(list)
    for a in (
        Assignment.objects.filter(
            staff=staff, roster__status=Roster.Status.PUBLISHED, date__gte=start, date__lte=end
        )
        .select_related("shift_type", "roster__hall")
        .order_by("date", "starts_at")
    ):
        assignments[a.date].append(a)
    leave = list(
        Leave.objects.filter(staff=staff, approved=True, start_date__lte=end, end_date__gte=start).order_by(
            "start_date"
        )
    )
    periods = list(
        Roster.objects.filter(
            hall_id=staff.hall_id,
            status=Roster.Status.PUBLISHED,
            period_start__lte=end,
            period_end__gte=start,
        ).values_list("period_start", "period_end")
    )
    return [
        ScheduleDay(
            day=d,
            assignments=assignments.get(d, []),
            leave=[item for item in leave if item.start_date <= d <= item.end_date],
            published=bool(assignments.get(d)) or any(first <= d <= last for first, last in periods),
        )
        for d in date_range(start, end)
    ]


def hall_leave_list(*, hall: Hall, since: date):
    """Leave of the hall's staff ending on or after `since`, latest first, with the person."""
    return (
        Leave.objects.filter(staff__hall=hall, end_date__gte=since)
        .select_related("staff")
        .order_by("-start_date", "staff__employee_no", "pk")
    )


def hall_request_list(*, hall: Hall, since: date, staff: Staff | None = None):
    """Staff requests of the hall's people (or of one person) from `since` on, by date, with the
    person, the shift and who filed it."""
    requests = StaffRequest.objects.filter(staff__hall=hall, date__gte=since)
    if staff is not None:
        requests = requests.filter(staff=staff)
    return requests.select_related("staff", "shift_type", "created_by").order_by(
        "date", "staff__employee_no", "pk"
    )
