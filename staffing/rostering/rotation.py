"""Rosters from a rotation pattern, and the rule check every roster goes through.

Rolling duty (滚动式值班): one cycle of shift codes by day (None = day off), each person
starting at their own offset in days, so the team's days off roll through the week.
Rotating shifts (轮班制): a cycle of weeks, each a Monday-to-Sunday list of codes, each person
starting at their own offset in weeks, so the team rotates through early and late weeks.
"""

import time as clock
from dataclasses import dataclass, field

from staffing.rostering.problem import AssignmentSpec, RosteringProblem, Solution
from staffing.rostering.rules import Violation, check_roster, unmet_cover, unmet_requests

__all__ = ["RotationPattern", "Violation", "check_roster", "rotation_roster"]

ROLLING = "rolling"
ROTATING = "rotating"


@dataclass(frozen=True)
class RotationPattern:
    """`kind` ROLLING with `cycle` a sequence of codes per day, or ROTATING with `cycle` a
    sequence of weeks of 7 codes each. `offsets` maps a staff id to its start offset (days for
    rolling, weeks for rotating); a person without one starts at their position in the staff list."""

    kind: str
    cycle: tuple
    offsets: dict[int, int] = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in (ROLLING, ROTATING):
            raise ValueError(f"Unknown rotation kind {self.kind!r}; use 'rolling' or 'rotating'.")
        if not self.cycle:
            raise ValueError("A rotation pattern needs at least one day.")
        if self.kind == ROTATING and any(len(week) != 7 for week in self.cycle):
            raise ValueError("Each week of a rotating pattern lists 7 days, Monday to Sunday.")

    def code_for(self, *, position: int, day_number: int, week_number: int, weekday: int) -> str | None:
        if self.kind == ROLLING:
            return self.cycle[(day_number + position) % len(self.cycle)] or None
        return self.cycle[(week_number + position) % len(self.cycle)][weekday] or None


def rotation_roster(problem: RosteringProblem, pattern: RotationPattern) -> Solution:
    """Apply `pattern` across the problem's staff and days. A person on leave, unavailable, or on
    a day the shift does not open is left off that day. Returns the roster with its coverage
    shortfalls and unmet requests; rule breaches are for `check_roster` to report."""
    started = clock.perf_counter()
    known = {s.code for s in problem.shifts}
    unknown = {c for c in _codes(pattern) if c not in known}
    if unknown:
        raise ValueError(f"The pattern uses unknown shift codes: {', '.join(sorted(unknown))}.")
    first_monday = problem.start.toordinal() - problem.start.weekday()
    assignments = []
    for index, person in enumerate(problem.staff):
        position = pattern.offsets.get(person.id, index)
        for day in problem.days:
            code = pattern.code_for(
                position=position,
                day_number=(day - problem.start).days,
                week_number=(day.toordinal() - first_monday) // 7,
                weekday=day.weekday(),
            )
            if code is None or not person.is_available(day) or (person.id, day) in problem.leave:
                continue
            if not problem.is_open_for(day, problem.shift(code)):
                continue
            assignments.append(AssignmentSpec(person.id, day, code, problem.assignment_post(person, day)))
    unmet = unmet_cover(problem, assignments)
    return Solution(
        assignments=assignments,
        unmet=unmet,
        objective=float(sum(u.missing for u in unmet)),
        penalties={"under_cover": float(sum(u.missing for u in unmet if u.kind == "staff"))},
        unmet_requests=unmet_requests(problem, assignments),
        status="ROTATION",
        wall_time=clock.perf_counter() - started,
    )


def _codes(pattern: RotationPattern):
    if pattern.kind == ROLLING:
        return {c for c in pattern.cycle if c}
    return {c for week in pattern.cycle for c in week if c}
