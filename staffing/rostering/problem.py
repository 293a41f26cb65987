"""A rostering problem and its answer as plain data: no ORM, so the solver, the rotation
generator and the rule checker can be tested and benchmarked apart from the database.

Time is whole hours of the day (0–23) for cover; shifts are minutes from midnight. A shift
covers an hour when it is on duty for the whole hour (a shift from 08:30 covers 09:00–10:00,
not 08:00–09:00). The unpaid break shortens paid hours but not cover: halls stagger breaks.
"""

from dataclasses import dataclass, field
from datetime import date, time, timedelta

__all__ = [
    "WINDOW_POST",
    "AssignmentSpec",
    "Request",
    "RequestKind",
    "RosteringProblem",
    "Rules",
    "ShiftSpec",
    "Solution",
    "StaffSpec",
    "Unmet",
    "date_range",
]

WINDOW_POST = "window"


def date_range(start: date, end: date) -> list[date]:
    """Every date from `start` to `end`, inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


@dataclass(frozen=True)
class ShiftSpec:
    """A shift type: code, start and end (an end at or before the start ends the next day),
    unpaid break in minutes."""

    code: str
    start: time
    end: time
    break_minutes: int = 0

    @property
    def start_minute(self) -> int:
        return _minutes(self.start)

    @property
    def end_minute(self) -> int:
        end = _minutes(self.end)
        return end if end > self.start_minute else end + 24 * 60

    @property
    def paid_minutes(self) -> int:
        return self.end_minute - self.start_minute - self.break_minutes

    @property
    def paid_hours(self) -> float:
        return self.paid_minutes / 60

    def covered_hours(self) -> list[int]:
        """Hours of the day (0–23) the shift covers in full."""
        first = -(-self.start_minute // 60)
        last = self.end_minute // 60
        return [h for h in range(first, last) if h < 24]


@dataclass(frozen=True)
class StaffSpec:
    """A person who may be rostered. `senior`: a duty manager or star level 4+; `qualified_days`:
    the dates on which they hold a valid window qualification; `available_days`: None for
    the hall's own staff on every day, else the only dates they may work here (a loan in, or
    a home hall minus the days lent out); `min_hours`/`max_hours` override the rules' limits."""

    id: int
    name: str = ""
    post: str = "clerk"
    senior: bool = False
    qualified_days: frozenset[date] = frozenset()
    available_days: frozenset[date] | None = None
    min_hours: float | None = None
    max_hours: float | None = None

    def is_qualified(self, day: date) -> bool:
        return day in self.qualified_days

    def is_available(self, day: date) -> bool:
        return self.available_days is None or day in self.available_days


class RequestKind:
    DAY_OFF = "day_off"
    WANT_SHIFT = "want_shift"
    AVOID_SHIFT = "avoid_shift"


@dataclass(frozen=True)
class Request:
    """A staff request with a weight (1 = nice to have … 10 = important)."""

    staff_id: int
    day: date
    kind: str
    shift_code: str | None = None
    weight: int = 1
    ref: int | None = None


@dataclass(frozen=True)
class Rules:
    """Roster rules over the problem's period. Hours limits are for the whole period and are
    pro-rated for a person available on only part of it. None disables a limit.
    `max_shifts_per_type` maps a shift code to the most times one person works it."""

    min_rest_hours: float = 11
    min_hours: float | None = None
    max_hours: float | None = None
    max_shifts_per_type: dict[str, int] = field(default_factory=dict)
    min_consecutive_work_days: int = 1
    max_consecutive_work_days: int | None = 6
    min_consecutive_days_off: int = 1
    max_weekends_worked: int | None = None
    senior_every_open_hour: bool = True
    qualified_on_window: bool = True
    early_start_before: time = time(9, 0)
    late_end_after: time = time(18, 0)


@dataclass(frozen=True)
class RosteringProblem:
    """Staff, shift types, days, hourly cover, rules, leave, requests and the holiday calendar.

    `cover[(day, hour)]` is the required number on duty; an hour is open exactly when it has an
    entry. `leave` holds (staff id, day) pairs of approved leave."""

    staff: tuple[StaffSpec, ...]
    shifts: tuple[ShiftSpec, ...]
    start: date
    end: date
    cover: dict[tuple[date, int], int]
    rules: Rules = field(default_factory=Rules)
    leave: frozenset[tuple[int, date]] = frozenset()
    requests: tuple[Request, ...] = ()
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()

    @property
    def days(self) -> list[date]:
        return date_range(self.start, self.end)

    def shift(self, code: str) -> ShiftSpec | None:
        return next((s for s in self.shifts if s.code == code), None)

    def staff_member(self, staff_id: int) -> StaffSpec | None:
        return next((s for s in self.staff if s.id == staff_id), None)

    def open_hours(self, day: date) -> list[int]:
        return sorted(h for (d, h) in self.cover if d == day)

    def is_weekend(self, day: date) -> bool:
        """A Saturday or Sunday that is not a make-up working day."""
        return day.weekday() >= 5 and day not in self.makeup_workdays

    def weekend_of(self, day: date) -> date | None:
        """The Saturday that names the weekend `day` belongs to, or None on a working weekday."""
        if not self.is_weekend(day):
            return None
        return day - timedelta(days=day.weekday() - 5)

    def is_early(self, shift: ShiftSpec) -> bool:
        return shift.start_minute < _minutes(self.rules.early_start_before)

    def is_late(self, shift: ShiftSpec) -> bool:
        return shift.end_minute > _minutes(self.rules.late_end_after)

    def is_open_for(self, day: date, shift: ShiftSpec) -> bool:
        """A shift may be worked on a day when it covers at least one open hour."""
        return any((day, h) in self.cover for h in shift.covered_hours())

    def hours_limits(self, person: StaffSpec) -> tuple[float | None, float | None]:
        """(min, max) paid hours for the period; the minimum is pro-rated by the days the person
        can work (not on leave, available), so leave never makes the minimum unreachable."""
        low = person.min_hours if person.min_hours is not None else self.rules.min_hours
        high = person.max_hours if person.max_hours is not None else self.rules.max_hours
        if low is not None:
            days = self.days
            workable = sum(1 for d in days if person.is_available(d) and (person.id, d) not in self.leave)
            low = low * workable / len(days)
        return low, high

    def assignment_post(self, person: StaffSpec, day: date) -> str:
        """The post a generated assignment gets: a window for a clerk qualified that day, else
        the person's own post (an unqualified clerk guides the queue)."""
        if person.post == "clerk":
            return WINDOW_POST if person.is_qualified(day) else "guide"
        return {"duty_manager": "duty", "hall_manager": "duty", "vip_manager": "vip"}.get(
            person.post, person.post
        )


@dataclass(frozen=True)
class AssignmentSpec:
    staff_id: int
    day: date
    shift_code: str
    post: str = WINDOW_POST


@dataclass(frozen=True)
class Unmet:
    """`missing` staff short of the requirement in one open hour; kind "staff" for the head
    count, "senior" for an hour without a senior on duty."""

    day: date
    hour: int
    missing: int
    kind: str = "staff"


@dataclass
class Solution:
    """A roster and how good it is. `penalties` maps each objective term to its weighted value;
    `penalty_shares` to its share of the objective; `first_full_cover_seconds` is when the
    solver first found a roster with no head-count shortfall (None if it never did)."""

    assignments: list[AssignmentSpec]
    unmet: list[Unmet]
    objective: float
    penalties: dict[str, float]
    unmet_requests: list[Request]
    status: str
    wall_time: float
    first_full_cover_seconds: float | None = None

    @property
    def unmet_hours(self) -> int:
        """Staff-hours short of the head-count requirement."""
        return sum(u.missing for u in self.unmet if u.kind == "staff")

    @property
    def penalty_shares(self) -> dict[str, float]:
        total = sum(self.penalties.values())
        return {k: (v / total if total else 0.0) for k, v in self.penalties.items()}
